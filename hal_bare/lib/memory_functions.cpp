// The four functions the compiler may call for copies and clears, which a
// freestanding program must provide itself.
#include <cstddef>
#include <cstdint>

extern "C" {

void* memcpy(void* destination, const void* source, std::size_t length) {
    auto* d = static_cast<unsigned char*>(destination);
    auto* s = static_cast<const unsigned char*>(source);
    asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(length) : : "memory");
    return destination;
}

void* memset(void* destination, int value, std::size_t length) {
    auto* d = static_cast<unsigned char*>(destination);
    asm volatile("rep stosb" : "+D"(d), "+c"(length) : "a"(value) : "memory");
    return destination;
}

void* memmove(void* destination, const void* source, std::size_t length) {
    auto* d = static_cast<unsigned char*>(destination);
    auto* s = static_cast<const unsigned char*>(source);
    if (d <= s || d >= s + length) return memcpy(destination, source, length);
    while (length-- > 0) d[length] = s[length];
    return destination;
}

int memcmp(const void* left, const void* right, std::size_t length) {
    auto* a = static_cast<const unsigned char*>(left);
    auto* b = static_cast<const unsigned char*>(right);
    for (std::size_t i = 0; i < length; ++i) {
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

}  // extern "C"
