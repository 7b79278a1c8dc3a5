// Guard pages under kernel thread stacks (hal/cpu.h, context_create).
//
// entry.S maps the first 4 GiB with 2 MiB pages (the first 2 MiB with
// 4 KiB pages). A guard page needs a 4 KiB entry of its own, so the first
// guard that falls in a 2 MiB page splits it into a page table with the
// same frames and attributes, taken from a pool bare_start cut from RAM:
// one table per 2 MiB of RAM, so the pool cannot run out, and untouched
// until a table is used, so boot pays nothing for it. A split is never
// undone; later stacks in the same 2 MiB use the same table.
//
// TLBs (Intel SDM vol. 3 §4.10.4). Making a guard is two writes under
// paging_lock: the split, which changes only the page size (every 4 KiB
// of the range keeps its frame and attributes, as §4.10.4.2 asks of a
// write that changes a page size, so a stale 2 MiB translation anywhere
// is still right), then the guard's entry, now a 4 KiB one, made
// not-present. No CPU caches a translation from a not-present entry, so
// no TLB can hold two differing translations of the guard page; another
// CPU can hold at most the old, present one, which only lets that CPU
// touch the guard page without a fault. Only the thread's own accesses
// must fault, and a thread runs on one CPU for its life (it never
// migrates): the CPU that made the guard flushes it (invlpg takes a whole
// 2 MiB translation too) and so does the thread's CPU before the thread
// first runs (toro_context_entry). So no shootdown IPI is needed. Making
// the page present again needs no flush anywhere (§4.10.4.3: P from 0 to 1).
#include <cstddef>
#include <cstdint>

#include "bare.h"
#include "hal/boot.h"

// entry.S: four page directories, 2,048 entries for the first 4 GiB.
extern "C" std::uint64_t boot_page_directories[2048];

namespace bare {

namespace {

constexpr std::uint64_t kPresent = 1u << 0;
constexpr std::uint64_t kWritable = 1u << 1;
constexpr std::uint64_t kUser = 1u << 2;
constexpr std::uint64_t kLargePage = 1u << 7;      // PS, in a PDE
constexpr std::uint64_t kLargePagePat = 1u << 12;  // PAT of a 2 MiB page
constexpr std::uint64_t kPagePat = 1u << 7;        // PAT of a 4 KiB page
constexpr std::uint64_t kGlobal = 1u << 8;
constexpr std::uint64_t kNoExecute = std::uint64_t{1} << 63;
// P RW US PWT PCD A D: the same bits in a 2 MiB PDE and a 4 KiB PTE.
constexpr std::uint64_t kCommonFlags = 0x7F;
constexpr std::uint64_t kTableAddress = 0x000FFFFFFFFFF000;
constexpr std::uint64_t kLargeFrame = 0x000FFFFFFFE00000;
constexpr std::size_t kLargePageBytes = std::size_t{2} << 20;
constexpr std::size_t kEntries = 512;
constexpr std::uintptr_t kMappedEnd = std::uintptr_t{4} << 30;

std::uint64_t* table_pool = nullptr;  // kEntries entries per table
std::size_t tables_left = 0;
SpinLock paging_lock;

// The 4 KiB page table that maps `address`, splitting its 2 MiB page into
// one if it is not yet; null if the pool is empty. Under paging_lock.
std::uint64_t* page_table_for(std::uintptr_t address) {
    volatile std::uint64_t& directory_entry = boot_page_directories[address / kLargePageBytes];
    std::uint64_t entry = directory_entry;
    if ((entry & kLargePage) == 0) return reinterpret_cast<std::uint64_t*>(entry & kTableAddress);
    if (tables_left == 0) return nullptr;
    std::uint64_t* table = table_pool;
    table_pool += kEntries;
    --tables_left;
    std::uint64_t flags = (entry & (kCommonFlags | kGlobal | kNoExecute)) |
                          ((entry & kLargePagePat) != 0 ? kPagePat : 0);
    std::uint64_t frame = entry & kLargeFrame;
    for (std::size_t i = 0; i < kEntries; ++i) table[i] = (frame + i * hal::kPageSize) | flags;
    // The table is written before the directory entry points at it (x86
    // stores are not reordered with each other; the compiler is told).
    asm volatile("" ::: "memory");
    directory_entry =
        reinterpret_cast<std::uintptr_t>(table) | (entry & (kPresent | kWritable | kUser));
    return table;
}

std::uint64_t* page_entry_for(std::uintptr_t address) {
    std::uint64_t* table = page_table_for(address);
    if (table == nullptr) return nullptr;
    return &table[(address / hal::kPageSize) % kEntries];
}

}  // namespace

std::size_t guard_table_count(const hal::BootInfo& boot_info) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < boot_info.memory_region_count; ++i) {
        const hal::MemoryRegion& region = boot_info.memory[i];
        if (region.length == 0) continue;
        std::uintptr_t first = region.base / kLargePageBytes;
        std::uintptr_t last = (region.base + region.length - 1) / kLargePageBytes;
        count += last - first + 1;
    }
    return count;
}

void guard_pool_initialize(void* tables, std::size_t count) {
    auto address = reinterpret_cast<std::uintptr_t>(tables);
    if (address == 0 || count == 0) return;
    if (address % hal::kPageSize != 0) {  // a table must be page aligned
        address += hal::kPageSize - address % hal::kPageSize;
        --count;
    }
    table_pool = reinterpret_cast<std::uint64_t*>(address);
    tables_left = count;
}

bool guard_page_make(void* page) {
    auto address = reinterpret_cast<std::uintptr_t>(page);
    if (address % hal::kPageSize != 0 || address >= kMappedEnd) return false;
    {
        SpinLockGuard guard(paging_lock);
        auto* entry = static_cast<volatile std::uint64_t*>(page_entry_for(address));
        if (entry == nullptr) return false;
        *entry = *entry & ~kPresent;
    }
    invalidate_page(page);
    return true;
}

void guard_page_remove(void* page) {
    auto address = reinterpret_cast<std::uintptr_t>(page);
    SpinLockGuard guard(paging_lock);
    auto* entry = static_cast<volatile std::uint64_t*>(page_entry_for(address));
    if (entry != nullptr) *entry = *entry | kPresent;  // split when it was made
}

}  // namespace bare
