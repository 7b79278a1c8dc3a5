// From the boot protocols to the kernel's one BootInfo record.
//
// The loader's records (multiboot info or PVH start info) are read once,
// here, into static storage, before the kernel's page allocator can reuse
// the memory they live in.
#include <cstddef>
#include <cstdint>

#include "arch/apic.h"
#include "bare.h"
#include "drivers/pci.h"
#include "hal/boot.h"
#include "hal/console.h"

extern "C" char __image_start[];
extern "C" char __image_end[];
extern "C" std::uint64_t boot_low_page_table[512];
extern "C" void (*__init_array_start[])();
extern "C" void (*__init_array_end[])();

namespace {

enum class BootProtocol : std::uint32_t { kMultiboot = 1, kPvh = 2 };

// Multiboot 0.6.96 §3.3 (only the fields used).
struct MultibootInfo {
    std::uint32_t flags;
    std::uint32_t mem_lower, mem_upper, boot_device;
    std::uint32_t cmdline;
    std::uint32_t mods_count, mods_addr;
    std::uint32_t syms[4];
    std::uint32_t mmap_length, mmap_addr;
} __attribute__((packed));
struct MultibootMemoryEntry {
    std::uint32_t size;  // of the rest of the entry
    std::uint64_t base;
    std::uint64_t length;
    std::uint32_t type;
} __attribute__((packed));
constexpr std::uint32_t kMultibootHasCommandLine = 1u << 2;
constexpr std::uint32_t kMultibootHasMemoryMap = 1u << 6;

// Xen's arch-x86/hvm/start_info.h, version 1.
struct PvhStartInfo {
    std::uint32_t magic;
    std::uint32_t version;
    std::uint32_t flags;
    std::uint32_t module_count;
    std::uint64_t modules;
    std::uint64_t command_line;
    std::uint64_t rsdp;
    std::uint64_t memory_map;
    std::uint32_t memory_map_entries;
    std::uint32_t reserved;
};
static_assert(sizeof(PvhStartInfo) == 56);
struct PvhMemoryEntry {
    std::uint64_t base;
    std::uint64_t length;
    std::uint32_t type;
    std::uint32_t reserved;
};
constexpr std::uint32_t kPvhMagic = 0x336ec578;
constexpr std::uint32_t kRamType = 1;  // e820 "usable", in both

constexpr std::uint64_t kLowMemoryEnd = 1u << 20;          // BIOS, trampolines
constexpr std::uint64_t kMappedEnd = std::uint64_t{4} << 30;  // entry.S maps 4 GiB

hal::BootInfo boot_info;
// Room for long application arguments (fstool's commands, paths of 4 KiB).
char command_line[16384];
char kernel_options[4096];
const void* rsdp = nullptr;
std::uint32_t apic_ids[hal::kMaxCpus];

// Adds [base, base+length) minus what the kernel cannot use: below 1 MiB,
// above the identity map, and the image itself.
void add_ram(std::uint64_t base, std::uint64_t length) {
    std::uint64_t end = base + length;
    if (base < kLowMemoryEnd) base = kLowMemoryEnd;
    if (end > kMappedEnd) end = kMappedEnd;
    auto image_start = reinterpret_cast<std::uint64_t>(__image_start);
    auto image_end = reinterpret_cast<std::uint64_t>(__image_end);
    if (base < image_end && end > image_start) {  // split around the image
        if (base < image_start) add_ram(base, image_start - base);
        base = image_end;
    }
    if (end <= base || boot_info.memory_region_count == hal::kMaxMemoryRegions) return;
    boot_info.memory[boot_info.memory_region_count++] = {static_cast<std::uintptr_t>(base),
                                                         static_cast<std::size_t>(end - base)};
}

// Takes `bytes` (page aligned) off the end of the largest region: memory
// the HAL keeps, which BootInfo no longer offers the kernel. Null when
// that would leave the region less than 1 MiB.
char* try_reserve_ram(std::size_t bytes) {
    hal::MemoryRegion* largest = nullptr;
    for (std::size_t i = 0; i < boot_info.memory_region_count; ++i) {
        hal::MemoryRegion& region = boot_info.memory[i];
        if (largest == nullptr || region.length > largest->length) largest = &region;
    }
    if (largest == nullptr || largest->length < bytes + (std::size_t{1} << 20)) return nullptr;
    largest->length -= bytes;
    return reinterpret_cast<char*>(largest->base + largest->length);
}

char* reserve_ram(std::size_t bytes, const char* what) {
    char* memory = try_reserve_ram(bytes);
    if (memory == nullptr) bare::fatal(what);
    return memory;
}

void copy_command_line(const char* source, bool skip_first_word) {
    std::size_t i = 0;
    if (skip_first_word) {  // QEMU's multiboot cmdline starts with the kernel's file name
        while (source[i] != '\0' && source[i] != ' ') ++i;
        while (source[i] == ' ') ++i;
    }
    std::size_t length = 0;
    while (source[i] != '\0' && length < sizeof command_line - 1) command_line[length++] = source[i++];
    command_line[length] = '\0';
    if (source[i] != '\0') {  // said, not hidden: the application would see other arguments
        const char warning[] = "toro: the command line is longer than 16 KiB; the rest is cut\n";
        hal::console_write(warning, sizeof warning - 1);
    }
}

// Where a word starting at `i` ends: words are split on blanks, and a
// double-quoted run may hold blanks. `\"` and `\\` are escapes (hal/boot.h):
// such a quote neither opens nor closes a run.
std::size_t word_end(const char* text, std::size_t i) {
    bool quoted = false;
    while (text[i] != '\0' && (quoted || text[i] != ' ')) {
        if (text[i] == '\\' && (text[i + 1] == '"' || text[i + 1] == '\\')) {
            i += 2;
            continue;
        }
        if (text[i] == '"') quoted = !quoted;
        ++i;
    }
    return i;
}

bool word_is(const char* word, std::size_t length, const char* expected) {
    std::size_t i = 0;
    for (; i < length && expected[i] != '\0'; ++i) {
        if (word[i] != expected[i]) return false;
    }
    return i == length && expected[i] == '\0';
}

// Splits the command line at its first lone "--" (not inside quotes): the
// words before it become the kernel's options (hal::BootInfo's
// kernel_options: "ip=10.0.2.15/24 gw=10.0.2.2 toro.net.faults=..."), the
// words after it stay the application's arguments. A command line without
// one is all the application's, and there are no kernel options. Returns
// whether it found one.
bool split_kernel_options() {
    kernel_options[0] = '\0';
    for (std::size_t i = 0;;) {
        while (command_line[i] == ' ') ++i;
        if (command_line[i] == '\0') return false;
        std::size_t end = word_end(command_line, i);
        if (!word_is(command_line + i, end - i, "--")) {
            i = end;
            continue;
        }
        std::size_t length = i;
        while (length > 0 && command_line[length - 1] == ' ') --length;
        if (length >= sizeof kernel_options) {
            const char warning[] =
                "toro: the kernel options are longer than 4 KiB; the rest is cut\n";
            hal::console_write(warning, sizeof warning - 1);
            length = sizeof kernel_options - 1;
        }
        for (std::size_t k = 0; k < length; ++k) kernel_options[k] = command_line[k];
        kernel_options[length] = '\0';
        std::size_t from = end;
        while (command_line[from] == ' ') ++from;
        std::size_t to = 0;
        while ((command_line[to++] = command_line[from++]) != '\0') {
        }
        return true;
    }
}

// "N" (decimal, up to 9 digits) -> value; false if it is not one.
bool parse_count(const char* text, std::size_t length, std::uint32_t* value) {
    if (length == 0 || length > 9) return false;
    std::uint32_t result = 0;
    for (std::size_t i = 0; i < length; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        result = result * 10 + static_cast<std::uint32_t>(text[i] - '0');
    }
    *value = result;
    return true;
}

// One of the bare HAL's own words? Then it is applied (bare::hal_options).
bool take_hal_option(const char* word, std::size_t length) {
    if (word_is(word, length, "toro.ata=pio")) {
        bare::hal_options.ata_pio = true;
        return true;
    }
    if (word_is(word, length, "toro.e1000.tso=off")) {
        bare::hal_options.e1000_no_tso = true;
        return true;
    }
    if (word_is(word, length, "toro.boot.report")) {
        bare::hal_options.report_boot = true;
        return true;
    }
    constexpr char kStall[] = "toro.e1000.stall=";
    constexpr std::size_t kStallLength = sizeof kStall - 1;
    if (length > kStallLength && word_is(word, kStallLength, kStall)) {
        return parse_count(word + kStallLength, length - kStallLength,
                           &bare::hal_options.e1000_stall_after);
    }
    return false;
}

// Takes the bare HAL's own words (toro.ata=pio, toro.e1000.stall=N,
// toro.e1000.tso=off, toro.boot.report) out of
// `text`, so that neither the kernel nor the application sees them. Words
// in double quotes are never the HAL's.
void take_hal_options(char* text) {
    std::size_t read = 0, write = 0;
    while (text[read] != '\0') {
        std::size_t end = word_end(text, read);
        if (take_hal_option(text + read, end - read)) {
            read = end;
            while (text[read] == ' ') ++read;  // and the blanks after it
            continue;
        }
        while (read < end) text[write++] = text[read++];  // the word, then its blanks
        while (text[read] == ' ') text[write++] = text[read++];
    }
    while (write > 0 && text[write - 1] == ' ') --write;
    text[write] = '\0';
}

void read_multiboot(const MultibootInfo* info) {
    if (info->flags & kMultibootHasCommandLine) {
        copy_command_line(reinterpret_cast<const char*>(std::uintptr_t{info->cmdline}), true);
    }
    if (!(info->flags & kMultibootHasMemoryMap)) {
        add_ram(kLowMemoryEnd, std::uint64_t{info->mem_upper} * 1024);
        return;
    }
    std::uintptr_t entry = info->mmap_addr;
    std::uintptr_t end = entry + info->mmap_length;
    while (entry + sizeof(MultibootMemoryEntry) <= end) {
        auto* e = reinterpret_cast<const MultibootMemoryEntry*>(entry);
        if (e->type == kRamType) add_ram(e->base, e->length);
        entry += e->size + sizeof(e->size);
    }
}

void read_pvh(const PvhStartInfo* info) {
    if (info->magic != kPvhMagic) bare::fatal("PVH start info has a bad magic number");
    if (info->command_line != 0) {
        copy_command_line(reinterpret_cast<const char*>(info->command_line), false);
    }
    if (info->rsdp != 0) rsdp = reinterpret_cast<const void*>(info->rsdp);
    if (info->version < 1 || info->memory_map == 0) bare::fatal("PVH start info has no memory map");
    auto* entries = reinterpret_cast<const PvhMemoryEntry*>(info->memory_map);
    for (std::uint32_t i = 0; i < info->memory_map_entries; ++i) {
        if (entries[i].type == kRamType) add_ram(entries[i].base, entries[i].length);
    }
}

}  // namespace

bare::HalOptions bare::hal_options;
char* bare::nic_memory = nullptr;

// Called by entry.S in long mode on the boot stack.
extern "C" [[noreturn]] void bare_start(std::uint32_t protocol, std::uint32_t info) {
    bare::serial_initialize();
    bare::interrupts_initialize();
    for (auto* constructor = __init_array_start; constructor != __init_array_end; ++constructor) {
        (*constructor)();
    }
    command_line[0] = '\0';
    if (static_cast<BootProtocol>(protocol) == BootProtocol::kPvh) {
        read_pvh(reinterpret_cast<const PvhStartInfo*>(std::uintptr_t{info}));
    } else {
        read_multiboot(reinterpret_cast<const MultibootInfo*>(std::uintptr_t{info}));
    }
    // The HAL's words are among the kernel options; a command line without
    // "--" is searched whole, as before there were kernel options.
    take_hal_options(split_kernel_options() ? kernel_options : command_line);
    if (bare::hal_options.report_boot) {
        bool pvh = static_cast<BootProtocol>(protocol) == BootProtocol::kPvh;
        bare::console_print("toro: booted by %s\n", pvh ? "PVH" : "multiboot");
    }
    if (rsdp == nullptr) rsdp = bare::find_rsdp_in_bios_areas();  // reads page 0's EBDA pointer
    boot_info.cpu_count = bare::read_madt(rsdp, bare::apic_id(), apic_ids, hal::kMaxCpus);
    // The loader's records are copied: page 0 goes, so null faults.
    boot_low_page_table[0] = 0;
    asm volatile("invlpg (%0)" : : "r"(std::uintptr_t{0}) : "memory");
    boot_info.command_line = command_line;
    boot_info.kernel_options = kernel_options;
    bare::pci_enumerate();
    bare::pci_assign_resources();
    if (bare::nic_memory_bytes != nullptr) {  // a NIC driver is linked in
        std::size_t bytes = (bare::nic_memory_bytes() + hal::kPageSize - 1) & ~(hal::kPageSize - 1);
        if (bytes != 0) {
            bare::nic_memory = reserve_ram(bytes, "not enough memory for the NICs' rings");
        }
    }
    char* stacks = reserve_ram(bare::stack_memory_bytes(boot_info.cpu_count),
                               "not enough memory for the CPUs' boot stacks");
    // Page tables for the stacks' guard pages: reserved, not touched (a
    // machine too small for them runs without guard pages).
    std::size_t guard_tables = bare::guard_table_count(boot_info);
    bare::guard_pool_initialize(try_reserve_ram(guard_tables * hal::kPageSize), guard_tables);
    bare::cpu_initialize(apic_ids, boot_info.cpu_count, stacks);
    kernel_main(boot_info);
}
