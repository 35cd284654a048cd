// Multiboot command line accessors.
#include <sdk/sdk.h>

const char* cmdline(void) {
    if (mb_magic != MULTIBOOT_BOOTLOADER_MAGIC || !mb_info || !(mb_info->flags & MB_INFO_CMDLINE) ||
        !mb_info->cmdline)
        return "";
    return (const char*)(uintptr_t)mb_info->cmdline;
}

static int blank(char c) { return c == ' ' || c == '\t'; }

const char* cmdline_args(void) {
    const char* s = cmdline();
    while (blank(*s)) s++;
    const char* end = s;
    int path = 0;
    while (*end && !blank(*end)) {
        if (*end == '/') path = 1;
        end++;
    }
    if (end - s >= 4 && !strncmp(end - 4, ".elf", 4)) path = 1;
    if (path) s = end;
    while (blank(*s)) s++;
    return s;
}

uint64_t cmdline_uint(const char* key, uint64_t def) {
    const char* s = cmdline_args();
    size_t klen = strlen(key);
    while (*s) {
        while (blank(*s)) s++;
        if (!strncmp(s, key, klen) && s[klen] == '=') {
            const char* p = s + klen + 1;
            uint64_t v = 0;
            if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
                for (p += 2;; p++) {
                    int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                          : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;
                    if (d < 0) break;
                    v = v * 16 + (uint64_t)d;
                }
            } else {
                for (; *p >= '0' && *p <= '9'; p++) v = v * 10 + (uint64_t)(*p - '0');
            }
            return v;
        }
        while (*s && !blank(*s)) s++;
    }
    return def;
}
