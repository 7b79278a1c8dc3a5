// The Memory unit's application API: object allocation, pages, statistics.
//
// Objects up to 2 KiB come from per-CPU slabs: the allocating CPU takes
// them without locks or atomics; a free on another CPU goes back to the
// owning CPU through a lock-free inbox. Larger requests take whole pages.
// Out of memory is a null return, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace toro {

// At least `size` bytes aligned to 16 (to the page for sizes of a page or
// more), or null when memory is exhausted or size is 0. Kernel threads and
// event handlers on any CPU.
void* allocate(std::size_t size);

// Returns memory from allocate(). Any CPU, not only the allocating one.
// Null is ignored. Freeing anything else is a kernel bug and panics.
void free(void* pointer);

// 2^order contiguous pages aligned to their size, or null.
void* allocate_pages(unsigned order);
void free_pages(void* pages, unsigned order);

// Constructs a T in allocated memory; null when memory is exhausted.
template <typename T, typename... Arguments>
T* make(Arguments&&... arguments) {
    void* memory = allocate(sizeof(T));
    if (memory == nullptr) return nullptr;
    return new (memory) T(std::forward<Arguments>(arguments)...);
}

template <typename T>
void destroy(T* object) {
    if (object == nullptr) return;
    object->~T();
    free(object);
}

inline constexpr std::size_t kSizeClassCount = 14;

struct MemoryStats {
    std::size_t total_bytes;        // all RAM the allocator manages
    std::size_t free_page_bytes;    // in the page allocator, not handed out
    std::size_t slab_bytes;         // pages held by object slabs
    std::size_t large_bytes_in_use; // page-sized allocations via allocate()
    std::size_t page_bytes_in_use;  // allocate_pages() not yet freed
    std::size_t objects_in_use;     // small objects allocated, not freed
    std::size_t class_size[kSizeClassCount];
    std::size_t class_objects_in_use[kSizeClassCount];
};

// A snapshot; exact when no other CPU allocates meanwhile. Any thread.
MemoryStats memory_stats();

// On the calling CPU: takes back objects other CPUs freed and returns empty
// slabs to the page allocator. The allocator also does this by itself when
// it runs short; call it to see exact slab figures.
void memory_reclaim();

}  // namespace toro
