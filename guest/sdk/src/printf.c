// A small printf: %d %i %u %x %X %p %s %c %%, l/ll/z, width, '0', '-' and '+' flags.
#include <sdk/printf.h>
#include <sdk/serial.h>
#include <stdint.h>

struct out {
    char* buf;   // 0: serial
    size_t size;
    size_t len;
};

static void emit(struct out* o, char c) {
    if (!o->buf)
        serial_putc(c);
    else if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void emit_padded(struct out* o, const char* s, size_t n, int width, int left, char pad) {
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left && pad == '0' && n && (*s == '-' || *s == '+')) {  // sign goes before zeros
        emit(o, *s++);
        n--;
    }
    if (!left)
        while (fill-- > 0) emit(o, pad);
    while (n--) emit(o, *s++);
    if (left)
        while (fill-- > 0) emit(o, ' ');
}

static int format(struct out* o, const char* fmt, va_list ap) {
    static const char lower[] = "0123456789abcdef";
    static const char upper[] = "0123456789ABCDEF";
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(o, *fmt);
            continue;
        }
        fmt++;
        int left = 0, plus = 0;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-') left = 1;
            else if (*fmt == '+') plus = 1;
            else if (*fmt == '0') pad = '0';
            else break;
        }
        int width = 0;
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        int longs = 0;
        for (;; fmt++) {
            if (*fmt == 'l') longs++;
            else if (*fmt == 'z') longs = sizeof(size_t) == 8 ? 2 : 0;
            else break;
        }
        if (left) pad = ' ';
        char tmp[24];
        int n = 0;
        switch (*fmt) {
        case 'c': tmp[0] = (char)va_arg(ap, int); emit_padded(o, tmp, 1, width, left, ' '); break;
        case 's': {
            const char* s = va_arg(ap, const char*);
            if (!s) s = "(null)";
            size_t len = 0;
            while (s[len]) len++;
            emit_padded(o, s, len, width, left, ' ');
            break;
        }
        case 'd':
        case 'i': {
            int64_t v = longs >= 2 ? va_arg(ap, long long) : longs == 1 ? va_arg(ap, long) : va_arg(ap, int);
            uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
            char digits[24];
            int k = 0;
            do { digits[k++] = (char)('0' + u % 10); u /= 10; } while (u);
            if (v < 0) tmp[n++] = '-';
            else if (plus) tmp[n++] = '+';
            while (k) tmp[n++] = digits[--k];
            emit_padded(o, tmp, (size_t)n, width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'p': {
            uint64_t u;
            const char* dig = *fmt == 'X' ? upper : lower;
            unsigned base = *fmt == 'u' ? 10 : 16;
            if (*fmt == 'p') u = (uintptr_t)va_arg(ap, void*);
            else if (longs >= 2) u = va_arg(ap, unsigned long long);
            else if (longs == 1) u = va_arg(ap, unsigned long);
            else u = va_arg(ap, unsigned int);
            char digits[24];
            int k = 0;
            if (base == 16) {
                do { digits[k++] = dig[u & 15]; u >>= 4; } while (u);
            } else {
                do { digits[k++] = dig[u % 10]; u /= 10; } while (u);
            }
            if (*fmt == 'p') { tmp[n++] = '0'; tmp[n++] = 'x'; }
            while (k) tmp[n++] = digits[--k];
            emit_padded(o, tmp, (size_t)n, width, left, *fmt == 'p' ? ' ' : pad);
            break;
        }
        case '%': emit(o, '%'); break;
        case 0: fmt--; break;
        default: emit(o, '%'); emit(o, *fmt); break;
        }
    }
    return (int)o->len;
}

int vprintf(const char* fmt, va_list ap) {
    struct out o = {0, 0, 0};
    return format(&o, fmt, ap);
}

int printf(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap) {
    char dummy;
    struct out o = {size ? buf : &dummy, size ? size : 1, 0};
    int n = format(&o, fmt, ap);
    o.buf[o.len < o.size ? o.len : o.size - 1] = 0;
    return n;
}

int snprintf(char* buf, size_t size, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int putchar(int c) {
    serial_putc((char)c);
    return (unsigned char)c;
}

int puts(const char* s) {
    while (*s) serial_putc(*s++);
    serial_putc('\n');
    return 1;
}
