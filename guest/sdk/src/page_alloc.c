// A static pool of zeroed pages for page tables and test pages.
#include <sdk/sdk.h>

#define POOL_PAGES 256

static uint8_t pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static unsigned used;

void* page_alloc(void) {
    if (used == POOL_PAGES) panic("page_alloc: out of pages");
    void* p = pool[used++];
    memset(p, 0, 4096);
    return p;
}
