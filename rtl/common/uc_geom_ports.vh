/*
 * uc_geom_ports.vh: the latched UC command's mode and layer geometry (outputs of uc_ctrl) as
 * inputs of the item generator (uc_gen) and of the MAC pipeline (uc_mac), `include`d inside the
 * ANSI port list (every line ends with a comma: more ports follow).
 */
    input  wire                     is_bwd,
    input  wire                     is_wgrad,
    input  wire                     is_update,
    input  wire                     s2,             // stride 2
    input  wire [15:0]              h,              // input map size
    input  wire [15:0]              w,
    input  wire [15:0]              ho,             // output map size
    input  wire [15:0]              wo,
    input  wire [15:0]              rw_x,           // stack words per row of X-side / Y-side maps
    input  wire [15:0]              rw_y,
    input  wire [31:0]              x_base,         // first stack word of the X-side / Y-side maps
    input  wire [31:0]              y_base,
