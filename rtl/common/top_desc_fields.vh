/*
 * top_desc_fields.vh: the fields of the descriptor being run (docs/program.md "Fields"), as
 * wires named d_* sliced from the including module's 512-bit desc: the sequencer's opcode,
 * memory selector and LOAD / STORE / LOOP words, and the fields the units' commands are built of
 * (accel_top). `include`d in the module body after desc is declared; each module uses some.
 */
/* verilator lint_off UNUSEDSIGNAL */
wire [7:0]  d_op = desc[7:0];           // opcode
wire [3:0]  d_sel = desc[11:8];         // LOAD / STORE: memory selector
wire [2:0]  d_mode = desc[10:8];        // unit command: mode
wire        d_relu = desc[16];
wire        d_bgrad = desc[17];
wire        d_flat = desc[20];          // UC: flat maps (docs/uc_unit.md "Flat small maps")
wire        d_flat_x = desc[16];        // MP: the full-size maps flat (the bit of LC's relu)
wire        d_flat_y = desc[17];        // MP: the pooled maps flat (the bit of LC's bgrad)
wire        d_xarg = desc[18];          // MP: no argmax map, MP_BWD's argmax from X (the bit of gacc)
wire [31:0] d_w1 = desc[63:32];
wire [31:0] d_w2 = desc[95:64];
wire [31:0] d_w3 = desc[127:96];
wire [31:0] d_w4 = desc[159:128];
wire [31:0] d_w5 = desc[191:160];
wire [31:0] d_w6 = desc[223:192];
wire [31:0] d_w7 = desc[255:224];
wire [31:0] d_w8 = desc[287:256];
wire [31:0] d_w9 = desc[319:288];
wire [31:0] d_w10 = desc[351:320];
wire [31:0] d_w11 = desc[383:352];
/* verilator lint_on UNUSEDSIGNAL */
