# cmake -DFILE=path -P print_size.cmake: prints the image's size.
file(SIZE ${FILE} bytes)
math(EXPR kib "(${bytes} + 1023) / 1024")
get_filename_component(name ${FILE} NAME)
message("image size: ${name} ${bytes} bytes (${kib} KiB)")
