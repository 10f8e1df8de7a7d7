# mse_glob_sources(<var> <dir>): the .c files of a directory, except *_main.c
# (each executable's entry point lives in its own *_main.c).
function(mse_glob_sources var dir)
  file(GLOB found CONFIGURE_DEPENDS "${dir}/*.c")
  list(FILTER found EXCLUDE REGEX "_main\\.c$")
  set(${var} ${found} PARENT_SCOPE)
endfunction()
