// The kernel heap, told to AddressSanitizer. The hosted machine's memory is
// one mmap'd arena, which ASan sees as one big valid region: without this,
// a read past the end of a kernel allocation (a block buffer a hostile
// directory entry points beyond, say) would go unseen. So, in sanitizer
// builds only:
//   - every allocation is followed by a redzone of at least kRedzoneBytes
//     (the request grows by that much) that is poisoned, as is the rest of
//     its slot;
//   - a freed object is poisoned, but for its first 8 bytes, where the
//     allocator keeps its free-list link;
//   - memory going back to the page allocator (an empty slab, a large
//     block) is unpoisoned: it belongs to the allocator again.
// In other builds these are empty and kRedzoneBytes is 0.
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define TORO_HEAP_POISONING 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TORO_HEAP_POISONING 1
#endif
#endif

#ifdef TORO_HEAP_POISONING
extern "C" void __asan_poison_memory_region(void const volatile* address, std::size_t size);
extern "C" void __asan_unpoison_memory_region(void const volatile* address, std::size_t size);
#endif

namespace toro::memory {

#ifdef TORO_HEAP_POISONING
inline constexpr std::size_t kRedzoneBytes = 16;
inline constexpr std::size_t kFreeLinkBytes = 8;

// `size` bytes at `object` are the caller's; the rest of its `slot` is not.
inline void poison_all_but(void* object, std::size_t size, std::size_t slot) {
    __asan_unpoison_memory_region(object, size);
    __asan_poison_memory_region(static_cast<char*>(object) + size, slot - size);
}
inline void poison_freed(void* object, std::size_t slot) {
    poison_all_but(object, kFreeLinkBytes, slot);
}
inline void unpoison_for_allocator(void* memory, std::size_t size) {
    __asan_unpoison_memory_region(memory, size);
}
#else
inline constexpr std::size_t kRedzoneBytes = 0;
inline void poison_all_but(void*, std::size_t, std::size_t) {}
inline void poison_freed(void*, std::size_t) {}
inline void unpoison_for_allocator(void*, std::size_t) {}
#endif

}  // namespace toro::memory
