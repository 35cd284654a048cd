// crash-demo: a guest with a timing-dependent bug in its disk completion handler.
//
// It loads a table of records (one per sector, made by `make-disk-image --records N`) through
// both ATA channels at once, interrupt-driven: chunks of 8 records alternate between the
// primary and the secondary channel (the same image is attached to both). Each record names
// its parent; after loading, the guest indexes the records by id and walks every record's
// parent chain to the root.
//
// THE BUG is in chunk_done(), the completion handler. To keep the other channel's latency
// low it acknowledges the interrupt controller and re-enables interrupts before copying the
// chunk into the table, but it advances the table's fill index only after the copy. When
// the two channels' completions reach the guest at the same instruction boundary (the host
// finished both before the CPU loop looked), the second handler runs inside the first, both
// copy into the same place, and one chunk of records is silently lost. Nothing notices until
// the parent walk, much later, follows the missing record's NULL pointer: a page fault
// (page 0 is unmapped). Whether it crashes depends only on host I/O timing.
//
// Options: records=N (default: all on the disk up to 4096), fixed=1 runs the corrected handler.
#include <sdk/sdk.h>
#include <sdk/ata.h>

#define CHUNK 8
#define MAX_RECORDS 4096

struct record {
    char magic[8];
    uint32_t id, parent, value, pad;
    char name[40];
};

static struct record store[MAX_RECORDS];       // records in the order they arrived
static volatile uint32_t stored;               // how many of store[] are filled
static struct record* by_id[MAX_RECORDS];      // index built after loading
static uint8_t chunk_buf[ATA_CHANNELS][CHUNK * 512] __attribute__((aligned(16)));
static volatile int in_flight[ATA_CHANNELS];
static uint32_t next_chunk, nchunks, nrecords;
static int fixed;

static void start_chunk(int ch) {
    if (next_chunk >= nchunks) return;
    uint32_t first = next_chunk++ * CHUNK;
    uint32_t count = nrecords - first < CHUNK ? nrecords - first : CHUNK;
    in_flight[ch] = 1;
    if (ata_start(ch * 2, 0, first, count, chunk_buf[ch], ATA_MULTIPLE)) panic("channel %d not ready", ch);
}

// Copies the chunk's records into the table. Runs in the IRQ handler.
static void chunk_done(int ch, int irq) {
    uint32_t n = ata_result(ch) ? 0 : CHUNK;  // (a failed chunk is simply not stored)
    if (fixed) {
        uint32_t at = stored;
        stored = at + n;  // claim the slots first, then let others in
        pic_eoi(irq);
        sti();
        for (uint32_t i = 0; i < n; i++) memcpy(&store[at + i], chunk_buf[ch] + i * 512, sizeof(struct record));
    } else {
        uint32_t at = stored;  // where this chunk goes...
        pic_eoi(irq);          // let the other channel's interrupt in while we copy
        sti();
        for (uint32_t i = 0; i < n; i++) memcpy(&store[at + i], chunk_buf[ch] + i * 512, sizeof(struct record));
        stored = at + n;       // ...claimed only now: a nested completion got the same `at`
    }
    cli();
    in_flight[ch] = 0;
    start_chunk(ch);
}

static void disk_irq(int irq, struct int_frame* f) {
    (void)f;
    int ch = irq - 14;
    ata_interrupts[ch]++;
    if (ata_service(ch) && in_flight[ch]) chunk_done(ch, irq);
}

static uint32_t depth_of(uint32_t id) {
    uint32_t depth = 0;
    for (struct record* r = by_id[id]; r->id != 0; r = by_id[r->parent]) depth++;
    return depth;
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    fixed = (int)cmdline_uint("fixed", 0);
    // Page 0 unmapped, so that a NULL pointer faults as it would under an OS.
    uint32_t* pd = pg32_new_dir();
    for (uint32_t a = 0x1000; a < 0x400000; a += 0x1000) pg32_map_4k(pd, a, a, PTE_P | PTE_W);
    pg32_identity_4m(pd, 0x400000, 0x8000000, PTE_P | PTE_W);
    pg32_enable(pd);

    irq_init();
    irq_set_handler(14, disk_irq);
    irq_set_handler(15, disk_irq);
    sti();
    if (ata_init(1) == 0 || !ata_info(0)->present || !ata_info(2)->present)
        panic("crash-demo wants the record disk on both channels: -hda records.img -hdc records.img");
    uint64_t on_disk = ata_info(0)->sectors;
    nrecords = (uint32_t)cmdline_uint("records", on_disk < MAX_RECORDS ? on_disk : MAX_RECORDS);
    if (nrecords > MAX_RECORDS || nrecords > on_disk || nrecords % CHUNK) panic("bad records=%u", nrecords);
    nchunks = nrecords / CHUNK;
    printf("crash-demo: loading %u records through both channels (%s handler)\n", nrecords, fixed ? "fixed" : "buggy");

    cli();
    start_chunk(0);
    start_chunk(1);
    for (;;) {
        if (!in_flight[0] && !in_flight[1] && next_chunk >= nchunks) break;
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    }
    sti();
    printf("loaded %u chunks\n", nchunks);

    for (uint32_t i = 0; i < stored; i++) by_id[store[i].id] = &store[i];
    uint64_t total_depth = 0, total_value = 0;
    for (uint32_t id = 0; id < nrecords; id++) {
        total_depth += depth_of(id);
        total_value += by_id[id]->value;
    }
    printf("total depth %llu, total value %llu\n", (unsigned long long)total_depth, (unsigned long long)total_value);
    printf("PASS\n");
    exit_emulator(0);
}
