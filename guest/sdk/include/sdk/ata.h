// ATA (IDE) PIO driver for the four standard positions: drive 0 primary master, 1 primary
// slave, 2 secondary master, 3 secondary slave. Each channel (drive / 2) runs one command at
// a time and the two channels run at once: start a command on each, then service both.
//
// Polling mode: ata_service() (or ata_wait()) moves the transfer on. Interrupt mode: the
// IRQ 14/15 handler calls ata_service(); the caller installs it (ata_irq_handler_for()).
#pragma once
#include <stdint.h>

#define ATA_DRIVES 4
#define ATA_CHANNELS 2

// Flags for ata_start.
#define ATA_MULTIPLE 1  // READ/WRITE MULTIPLE: DRQ blocks of the drive's multiple setting
#define ATA_EXT 2       // 48-bit command (READ SECTORS EXT, ...) even where the 28-bit one would do

// Result of a command: 0, or (error register << 8) | status with ERR or DF set, or ATA_TIMEOUT.
#define ATA_TIMEOUT 0x10000
#define ATA_ERR_UNC 0x40
#define ATA_ERR_IDNF 0x10
#define ATA_ERR_ABRT 0x04

struct ata_drive_info {
    int present;        // an ATA disk answered IDENTIFY DEVICE (ATAPI devices do not count)
    uint64_t sectors;   // LBA48 capacity (words 100-103), else the LBA28 one (60-61)
    uint32_t lba28_sectors;
    int lba48;
    int max_multiple;   // word 47
    char model[41];
    char serial[21];
};

// Resets both channels (SRST) and identifies the four positions; returns how many disks.
// irq: 0 polling (nIEN set), 1 interrupts enabled on the channels.
int ata_init(int irq);
const struct ata_drive_info* ata_info(int drive);
int ata_set_multiple(int drive, int sectors);  // SET MULTIPLE MODE; returns a result
int ata_flush(int drive);                      // FLUSH CACHE (EXT)

// Starts a read or write of `count` (1-65536) sectors; returns 0 or ATA_TIMEOUT when the
// channel never became ready. For a write the first block is sent before returning.
int ata_start(int drive, int write, uint64_t lba, uint32_t count, void* buf, int flags);
int ata_busy(int channel);         // a command is in progress
int ata_result(int channel);       // result of the last finished command
// Moves the channel's transfer on if the device is ready (reads status, which also
// acknowledges its interrupt). Returns 1 when the command has finished.
int ata_service(int channel);
// Until the command finishes: polls, or in interrupt mode halts between interrupts.
int ata_wait(int channel);

// Synchronous helpers (start + wait).
int ata_read(int drive, uint64_t lba, uint32_t count, void* buf, int flags);
int ata_write(int drive, uint64_t lba, uint32_t count, const void* buf, int flags);

// Statistics: DRQ blocks moved per channel, interrupts serviced.
extern volatile uint32_t ata_blocks[ATA_CHANNELS];
extern volatile uint32_t ata_interrupts[ATA_CHANNELS];
