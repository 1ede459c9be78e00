# Warning set shared by every host target. CI builds with TLAUNCH_WERROR=ON.
function(tlaunch_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                         -Wcast-align -Wimplicit-fallthrough -Wformat=2)
  if(TLAUNCH_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Flags with which the freestanding core code of each library is also compiled (CONVENTIONS §1):
# a test target builds the core sources with these so that a stray hosted dependency fails the build.
set(TLAUNCH_FREESTANDING_FLAGS -ffreestanding -fno-exceptions -fno-rtti -nostdinc++
    -fno-threadsafe-statics -fno-asynchronous-unwind-tables CACHE INTERNAL "")
