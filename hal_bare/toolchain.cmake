# The bare-metal flavor: the host's g++ generating freestanding x86-64 code
# for a kernel linked at 1 MiB and entered in long mode by our own boot code.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER gcc)
set(CMAKE_CXX_COMPILER g++)
set(CMAKE_ASM_COMPILER gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# No red zone (exceptions push onto the interrupted stack), no SSE (the HAL
# does not save vector registers), no PIC, no stack protector runtime.
set(TORO_BARE_FLAGS
  "-ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only -mcmodel=small -fno-stack-protector -fcf-protection=none -fno-asynchronous-unwind-tables")
set(CMAKE_C_FLAGS_INIT "${TORO_BARE_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${TORO_BARE_FLAGS}")
set(CMAKE_ASM_FLAGS_INIT "-fno-pic")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack")

# GNU ld's --start-group for $<LINK_GROUP:RESCAN,...> (the kernel calls
# the HAL, the HAL calls kernel_main); CMake only predefines it for hosts.
set(CMAKE_CXX_LINK_GROUP_USING_RESCAN "LINKER:--start-group" "LINKER:--end-group")
set(CMAKE_CXX_LINK_GROUP_USING_RESCAN_SUPPORTED TRUE)
