/*
 * ELF64 program-header reader for the enclave measurement (see <mse/measure.h>).
 *
 * Follows the System V ABI ELF-64 layout (ELF header: e_ident[16], e_type,
 * e_machine, e_version, e_entry @24, e_phoff @32, e_shoff, e_flags,
 * e_ehsize, e_phentsize @54, e_phnum @56; program header: p_type, p_flags,
 * p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align). Gramine reads
 * only the PT_LOAD entries and e_entry (via pyelftools), so that is all we
 * keep. All reads go through the bounds-checked reader.
 */
#include <string.h>

#include <mse/guard.h>
#include <mse/measure.h>
#include <mse/rd.h>

#define PT_LOAD 1
#define PN_XNUM 0xffff

mse_err mse_elf_parse(const uint8_t *elf, size_t len, struct mse_elf *out)
{
    struct mse_rd rd, ph;
    uint8_t ident[16];
    uint16_t phentsize, phnum;
    uint64_t phoff;
    memset(out, 0, sizeof *out);
    mse_rd_init(&rd, elf, len);
    MSE_TRY_AS(mse_rd_copy(&rd, ident, sizeof ident), MSE_ERR_ELF);
    /* "\x7fELF", ELFCLASS64, ELFDATA2LSB */
    MSE_ENSURE(ident[0] == 0x7f && ident[1] == 'E' && ident[2] == 'L' && ident[3] == 'F',
               MSE_ERR_ELF);
    MSE_ENSURE(ident[4] == 2 && ident[5] == 1, MSE_ERR_ELF);
    MSE_TRY_AS(mse_rd_skip(&rd, 8), MSE_ERR_ELF); /* e_type, e_machine, e_version */
    MSE_TRY_AS(mse_rd_u64le(&rd, &out->entry), MSE_ERR_ELF);
    MSE_TRY_AS(mse_rd_u64le(&rd, &phoff), MSE_ERR_ELF);
    MSE_TRY_AS(mse_rd_skip(&rd, 8 + 4 + 2), MSE_ERR_ELF); /* e_shoff, e_flags, e_ehsize */
    MSE_TRY_AS(mse_rd_u16le(&rd, &phentsize), MSE_ERR_ELF);
    MSE_TRY_AS(mse_rd_u16le(&rd, &phnum), MSE_ERR_ELF);
    /* PN_XNUM would move the count into section 0; libpal never needs it. */
    MSE_ENSURE(phnum != PN_XNUM && phentsize >= 56, MSE_ERR_ELF);
    MSE_ENSURE(phoff <= len, MSE_ERR_ELF);
    mse_rd_init(&rd, elf, len);
    MSE_TRY_AS(mse_rd_skip(&rd, (size_t)phoff), MSE_ERR_ELF);
    for (uint16_t i = 0; i < phnum; i++) {
        uint32_t type, flags;
        uint64_t offset, vaddr, paddr, filesz, memsz;
        MSE_TRY_AS(mse_rd_sub(&rd, phentsize, &ph), MSE_ERR_ELF);
        MSE_TRY_AS(mse_rd_u32le(&ph, &type), MSE_ERR_ELF);
        MSE_TRY_AS(mse_rd_u32le(&ph, &flags), MSE_ERR_ELF);
        MSE_TRY_AS(mse_rd_u64le(&ph, &offset), MSE_ERR_ELF);
        MSE_TRY_AS(mse_rd_u64le(&ph, &vaddr), MSE_ERR_ELF);
        MSE_TRY_AS(mse_rd_u64le(&ph, &paddr), MSE_ERR_ELF);
        MSE_TRY_AS(mse_rd_u64le(&ph, &filesz), MSE_ERR_ELF);
        MSE_TRY_AS(mse_rd_u64le(&ph, &memsz), MSE_ERR_ELF);
        if (type != PT_LOAD)
            continue;
        MSE_ENSURE(out->nload < MSE_ELF_MAX_LOAD, MSE_ERR_ELF);
        /* The segment's file bytes must exist; memsz is bounded so page loops stay finite. */
        MSE_ENSURE(offset <= len && filesz <= len - offset, MSE_ERR_ELF);
        MSE_ENSURE(memsz <= (UINT64_C(1) << 40) && vaddr <= (UINT64_C(1) << 47), MSE_ERR_ELF);
        out->load[out->nload++] = (struct mse_elf_load){
            .offset = offset, .vaddr = vaddr, .filesz = filesz, .memsz = memsz, .flags = flags};
    }
    MSE_ENSURE(out->nload > 0, MSE_ERR_ELF);
    return MSE_OK;
}
