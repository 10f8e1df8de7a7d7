/*
 * MRENCLAVE of a Gramine 1.9 enclave (see <mse/measure.h>).
 *
 * The layout and the order of pages follow python/graminelibos/sgx_sign.py
 * at Gramine v1.9 (get_memory_areas, populate_memory_areas,
 * gen_area_content, generate_measurement); the constants come from
 * pal/src/host/linux-sgx (pal_linux_defs.h, sgx_arch.h, pal_tcb.h) of the
 * same tag. The records hashed are those of the Intel SDM vol. 3D
 * (ECREATE/EADD/EEXTEND "measurement" updates).
 *
 * Speed: one SHA-256 context fed from a 64 KiB staging buffer, pages built
 * in place (TCS and TLS pages are generated per thread, zero pages are never
 * allocated), so an 8 GB enclave (about 2.1 M EADD records, 142 MB hashed)
 * costs one SHA-256 pass and little else.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <mse/guard.h>
#include <mse/manifest.h>
#include <mse/measure.h>
#include <mse/rd.h>
#include <mse/toml.h>

#define PAGE UINT64_C(4096)
#define SSA_FRAME_SIZE (4 * PAGE) /* pal_linux_defs.h */
#define SSA_FRAME_NUM 2
#define TCS_SIZE PAGE
#define STACK_SIZE (64 * PAGE)
#define SIG_STACK_SIZE (16 * PAGE)
#define ENCLAVE_BASE UINT64_C(0)      /* DEFAULT_ENCLAVE_BASE */
#define HEAP_MIN UINT64_C(0x10000)    /* MMAP_MIN_ADDR */
#define GPR_SIZE UINT64_C(184)        /* sizeof(sgx_pal_gpr_t) */
#define CANARY UINT64_C(0xbadbadbadbad) /* STACK_PROTECTOR_CANARY_DEFAULT */
#define MAX_THREADS UINT64_C(65536)

/* SECINFO flags as sgx_sign.py encodes them. */
#define PI_R 0x1u
#define PI_W 0x2u
#define PI_X 0x4u
#define PI_TCS 0x100u
#define PI_REG 0x200u

/* TCS fields (sgx_arch_tcs_t). */
#define TCS_OSSA 16
#define TCS_NSSA 28
#define TCS_OENTRY 32
#define TCS_OGS_BASE 56
#define TCS_OFS_LIMIT 64
#define TCS_OGS_LIMIT 68

/* struct pal_enclave_tcb offsets (PAL_TCB is 16 + 256 bytes). */
#define TLS_SELF 0
#define TLS_CANARY 8
#define TLS_ENCLAVE_SIZE 272
#define TLS_TCS_OFFSET 280
#define TLS_INITIAL_STACK 288
#define TLS_SIG_STACK_LOW 304
#define TLS_SIG_STACK_HIGH 312
#define TLS_SSA 328
#define TLS_GPR 336
#define TLS_MANIFEST_SIZE 416
#define TLS_HEAP_MIN 424
#define TLS_HEAP_MAX 432

enum area_kind { A_MANIFEST, A_SSA, A_TCS, A_TLS, A_STACK, A_SIG_STACK, A_PAL, A_FREE };

struct area {
    enum area_kind kind;
    bool placed;     /* address known (fixed pal, or after populate) */
    uint64_t addr;
    uint64_t size;
    uint32_t flags;
    bool measure;
};

struct hasher {
    EVP_MD_CTX *md;
    size_t n;
    uint8_t buf[64 * 1024];
};

static mse_err h_flush(struct hasher *h)
{
    if (h->n)
        MSE_ENSURE(EVP_DigestUpdate(h->md, h->buf, h->n) == 1, MSE_ERR_CRYPTO);
    h->n = 0;
    return MSE_OK;
}

/* Room for `len` bytes in the staging buffer; len <= sizeof buf. */
static mse_err h_reserve(struct hasher *h, size_t len, uint8_t **at)
{
    if (sizeof h->buf - h->n < len)
        MSE_TRY(h_flush(h));
    *at = h->buf + h->n;
    h->n += len;
    return MSE_OK;
}

/* Little-endian stores. Written out byte by byte so that the compiler merges them into one
 * store: a loop was compiled as a loop, 40 instructions per EADD record, an eighth of the
 * time of measuring an enclave's heap. */
static void le64(uint8_t *p, uint64_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
    p[4] = (uint8_t)(v >> 32);
    p[5] = (uint8_t)(v >> 40);
    p[6] = (uint8_t)(v >> 48);
    p[7] = (uint8_t)(v >> 56);
}

static void le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static mse_err do_ecreate(struct hasher *h, uint64_t size)
{
    uint8_t *r;
    MSE_TRY(h_reserve(h, 64, &r));
    memset(r, 0, 64);
    memcpy(r, "ECREATE", 7);
    le32(r + 8, (uint32_t)(SSA_FRAME_SIZE / PAGE));
    le64(r + 12, size);
    return MSE_OK;
}

/* EADD of one page, and when measured its 16 EEXTENDs over `page` (NULL: zeros). */
static mse_err include_page(struct hasher *h, const struct mse_enclave_attrs *a, uint64_t addr,
                            uint32_t flags, const uint8_t *page, bool measure)
{
    uint64_t off = addr - ENCLAVE_BASE;
    uint8_t *r;
    /* sgx_sign.py asserts every offset lies inside the enclave. */
    MSE_ENSURE(off < a->enclave_size, MSE_ERR_MANIFEST);
    MSE_TRY(h_reserve(h, 64, &r));
    memset(r, 0, 64);
    memcpy(r, "EADD", 4);
    le64(r + 8, off);
    le64(r + 16, flags);
    if (!measure)
        return MSE_OK;
    for (uint64_t k = 0; k < PAGE; k += 256) {
        MSE_TRY(h_reserve(h, 64 + 256, &r));
        memset(r, 0, 64);
        memcpy(r, "EEXTEND", 7);
        le64(r + 8, off + k);
        if (page)
            memcpy(r + 64, page + k, 256);
        else
            memset(r + 64, 0, 256);
    }
    return MSE_OK;
}

/*
 * EADD records of a run of unmeasured pages (the heap: 2 GB is 524,288 of
 * them), written straight into the staging buffer from one template. The
 * bytes hashed are those include_page() makes, page by page; only the
 * per-page branches and clears are gone.
 */
static mse_err eadd_run(struct hasher *h, const struct mse_enclave_attrs *a, uint64_t addr,
                        uint64_t size, uint32_t flags)
{
    uint8_t rec[64] = "EADD";
    uint64_t off = addr - ENCLAVE_BASE, pages = size / PAGE + (size % PAGE != 0);
    if (pages == 0)
        return MSE_OK;
    /* sgx_sign.py asserts every offset lies inside the enclave; the last is the largest. */
    MSE_ENSURE(off <= UINT64_MAX - (pages - 1) * PAGE, MSE_ERR_MANIFEST);
    MSE_ENSURE(off + (pages - 1) * PAGE < a->enclave_size, MSE_ERR_MANIFEST);
    le64(rec + 16, flags);
    /* The run starts at the start of the staging buffer, filled once with copies of the
     * record: each batch then rewrites only their offsets (8 of every 64 bytes), which
     * halves what building the records costs next to hashing them. */
    MSE_TRY(h_flush(h));
    size_t room = sizeof h->buf / sizeof rec;
    for (size_t k = 0; k < room && k < pages; k++)
        memcpy(h->buf + k * sizeof rec, rec, sizeof rec);
    while (pages > 0) {
        size_t batch = pages < room ? (size_t)pages : room;
        for (size_t k = 0; k < batch; k++, off += PAGE)
            le64(h->buf + k * sizeof rec + 8, off);
        h->n = batch * sizeof rec;
        pages -= batch;
        if (pages > 0)
            MSE_TRY(h_flush(h));
    }
    return MSE_OK;
}

static uint64_t rounddown(uint64_t v)
{
    return v - v % PAGE;
}

/* Round up to a page; MSE_ERR_MANIFEST on overflow. */
static mse_err roundup(uint64_t v, uint64_t *out)
{
    uint64_t r = v % PAGE;
    MSE_ENSURE(r == 0 || v <= UINT64_MAX - (PAGE - r), MSE_ERR_MANIFEST);
    *out = r ? v + (PAGE - r) : v;
    return MSE_OK;
}

static mse_err add64(uint64_t a, uint64_t b, uint64_t *out)
{
    MSE_ENSURE(a <= UINT64_MAX - b, MSE_ERR_MANIFEST);
    *out = a + b;
    return MSE_OK;
}

/* sgx_sign.py load_file(): one ELF segment, page by page, zero-padded around the file bytes. */
static mse_err load_segment(struct hasher *h, const struct mse_enclave_attrs *a, const uint8_t *elf,
                            size_t elf_len, uint64_t offset, uint64_t addr, uint64_t filesz,
                            uint64_t memsz, uint32_t flags, uint8_t *page)
{
    uint64_t f_addr = rounddown(offset), m_addr = rounddown(addr), end_addr, m_end;
    MSE_TRY(add64(addr, memsz, &end_addr));
    MSE_TRY(roundup(end_addr, &m_end));
    for (uint64_t pg = m_addr; pg < m_end; pg += PAGE) {
        uint64_t start = pg - m_addr + f_addr, end = start + PAGE;
        uint64_t start_zero = 0, end_zero = 0;
        if (start < offset)
            start_zero = offset - start >= PAGE ? PAGE : offset - start;
        if (end > offset + filesz)
            end_zero = end - offset - filesz >= PAGE ? PAGE : end - offset - filesz;
        start += start_zero;
        end -= end_zero;
        uint64_t data_len = start < end ? end - start : 0;
        /* Gramine raises "wrong calculation" when the pieces do not make one page. */
        MSE_ENSURE(start_zero + data_len + end_zero == PAGE, MSE_ERR_ELF);
        memset(page, 0, PAGE);
        if (data_len) {
            struct mse_rd rd;
            mse_rd_init(&rd, elf, elf_len);
            MSE_TRY_AS(mse_rd_skip(&rd, (size_t)start), MSE_ERR_ELF);
            MSE_TRY_AS(mse_rd_copy(&rd, page + start_zero, (size_t)data_len), MSE_ERR_ELF);
        }
        MSE_TRY(include_page(h, a, pg, flags, page, true));
    }
    return MSE_OK;
}

struct layout {
    struct area *areas; /* manifest, ssa, tcs, tls, stacks[T], sig_stacks[T], pal, free... */
    size_t n;
    uint64_t mapaddr;   /* lowest page of libpal's segments */
    uint64_t heap_max;
};

#define IDX_MANIFEST 0
#define IDX_SSA 1
#define IDX_TCS 2
#define IDX_TLS 3
#define IDX_STACK(t) (4 + (t))
#define IDX_SIG(T, t) (4 + (T) + (t))
#define IDX_PAL(T) (4 + 2 * (T))

static mse_err build_layout(const struct mse_enclave_attrs *a, size_t manifest_len,
                            const struct mse_elf *elf, struct layout *L)
{
    uint64_t T = a->max_threads;
    size_t npal = IDX_PAL(T);
    /* At most two free areas per placed area plus the final one. */
    size_t cap = 2 * (npal + 1) + 1;
    L->areas = calloc(cap, sizeof *L->areas);
    MSE_ENSURE(L->areas != NULL, MSE_ERR_NOMEM);
    struct area *A = L->areas;
    uint64_t v;
    MSE_TRY(roundup((uint64_t)manifest_len + 1, &v));
    A[IDX_MANIFEST] = (struct area){A_MANIFEST, false, 0, v, PI_R | PI_REG, true};
    A[IDX_SSA] = (struct area){A_SSA, false, 0, T * SSA_FRAME_SIZE * SSA_FRAME_NUM,
                               PI_R | PI_W | PI_REG, true};
    A[IDX_TCS] = (struct area){A_TCS, false, 0, T * TCS_SIZE, PI_TCS, true};
    A[IDX_TLS] = (struct area){A_TLS, false, 0, T * PAGE, PI_R | PI_W | PI_REG, true};
    for (uint64_t t = 0; t < T; t++) {
        A[IDX_STACK(t)] = (struct area){A_STACK, false, 0, STACK_SIZE, PI_R | PI_W | PI_REG, true};
        A[IDX_SIG(T, t)] =
            (struct area){A_SIG_STACK, false, 0, SIG_STACK_SIZE, PI_R | PI_W | PI_REG, true};
    }
    /* libpal: its span of pages; placed at its own address when that is not 0. */
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t k = 0; k < elf->nload; k++) {
        uint64_t e;
        MSE_TRY(add64(elf->load[k].vaddr, elf->load[k].memsz, &e));
        MSE_TRY(roundup(e, &e));
        if (rounddown(elf->load[k].vaddr) < lo)
            lo = rounddown(elf->load[k].vaddr);
        if (e > hi)
            hi = e;
    }
    L->mapaddr = lo;
    A[npal] = (struct area){A_PAL, lo > 0, lo, hi - lo, PI_REG, true};
    L->n = npal + 1;

    /* populate_memory_areas(): stack the unplaced areas down from the top. */
    uint64_t last;
    MSE_TRY(add64(ENCLAVE_BASE, a->enclave_size, &last));
    for (size_t k = 0; k < L->n; k++) {
        if (A[k].placed)
            continue;
        MSE_ENSURE(A[k].size <= last && last - A[k].size >= HEAP_MIN, MSE_ERR_MANIFEST);
        A[k].addr = last - A[k].size;
        A[k].placed = true;
        last = A[k].addr;
    }
    /* gen_area_content()'s sanity check: nothing but the heap between HEAP_MIN and libpal. */
    L->heap_max = A[npal].addr;
    for (size_t k = 0; k < L->n; k++) {
        uint64_t end;
        MSE_TRY(add64(A[k].addr, A[k].size, &end));
        MSE_ENSURE(end <= HEAP_MIN || A[k].addr >= L->heap_max, MSE_ERR_MANIFEST);
    }
    if (a->edmm)
        return MSE_OK; /* EDMM enclaves add heap pages at run time */
    size_t placed = L->n;
    for (size_t k = 0; k < placed; k++) {
        uint64_t addr = A[k].addr + A[k].size;
        if (addr < last) {
            A[L->n++] = (struct area){A_FREE, true, addr, last - addr,
                                      PI_R | PI_W | PI_X | PI_REG, false};
            last = A[k].addr;
        }
    }
    if (last > HEAP_MIN)
        A[L->n++] = (struct area){A_FREE, true, HEAP_MIN, last - HEAP_MIN,
                                  PI_R | PI_W | PI_X | PI_REG, false};
    return MSE_OK;
}

static mse_err tcs_page(const struct layout *L, const struct mse_enclave_attrs *a,
                        const struct mse_elf *elf, uint64_t t, uint8_t *page)
{
    const struct area *A = L->areas;
    uint64_t T = a->max_threads, oentry;
    memset(page, 0, PAGE);
    MSE_TRY(add64(A[IDX_PAL(T)].addr, elf->entry, &oentry));
    le64(page + TCS_OSSA, A[IDX_SSA].addr + SSA_FRAME_SIZE * SSA_FRAME_NUM * t - ENCLAVE_BASE);
    le32(page + TCS_NSSA, SSA_FRAME_NUM);
    le64(page + TCS_OENTRY, oentry - ENCLAVE_BASE);
    le64(page + TCS_OGS_BASE, A[IDX_TLS].addr - ENCLAVE_BASE + PAGE * t);
    le32(page + TCS_OFS_LIMIT, 0xfff);
    le32(page + TCS_OGS_LIMIT, 0xfff);
    return MSE_OK;
}

static void tls_page(const struct layout *L, const struct mse_enclave_attrs *a,
                     size_t manifest_len, uint64_t t, uint8_t *page)
{
    const struct area *A = L->areas;
    uint64_t T = a->max_threads;
    uint64_t ssa = A[IDX_SSA].addr + SSA_FRAME_SIZE * SSA_FRAME_NUM * t;
    const struct area *st = &A[IDX_STACK(t)], *sg = &A[IDX_SIG(T, t)];
    memset(page, 0, PAGE);
    le64(page + TLS_SELF, A[IDX_TLS].addr + PAGE * t);
    le64(page + TLS_CANARY, CANARY);
    le64(page + TLS_ENCLAVE_SIZE, a->enclave_size);
    le64(page + TLS_TCS_OFFSET, A[IDX_TCS].addr - ENCLAVE_BASE + TCS_SIZE * t);
    le64(page + TLS_INITIAL_STACK, st->addr + st->size);
    le64(page + TLS_SIG_STACK_LOW, sg->addr);
    le64(page + TLS_SIG_STACK_HIGH, sg->addr + sg->size);
    le64(page + TLS_SSA, ssa);
    le64(page + TLS_GPR, ssa + SSA_FRAME_SIZE - GPR_SIZE);
    le64(page + TLS_MANIFEST_SIZE, (uint64_t)manifest_len + 1);
    le64(page + TLS_HEAP_MIN, HEAP_MIN);
    le64(page + TLS_HEAP_MAX, L->heap_max);
}

static mse_err measure_area(struct hasher *h, const struct layout *L,
                            const struct mse_enclave_attrs *a, const struct area *ar,
                            const uint8_t *manifest, size_t manifest_len,
                            const struct mse_elf *elf, const uint8_t *elf_bytes, size_t elf_len,
                            uint8_t *page)
{
    if (ar->kind == A_PAL) {
        uint64_t base = ar->addr - L->mapaddr;
        for (size_t k = 0; k < elf->nload; k++) {
            const struct mse_elf_load *s = &elf->load[k];
            uint32_t flags = ar->flags;
            uint64_t addr;
            if (s->flags & 4)
                flags |= PI_R;
            if (s->flags & 2)
                flags |= PI_W;
            if (s->flags & 1)
                flags |= PI_X;
            MSE_TRY(add64(base, s->vaddr, &addr));
            MSE_TRY(load_segment(h, a, elf_bytes, elf_len, s->offset, addr, s->filesz, s->memsz,
                                 flags, page));
        }
        return MSE_OK;
    }
    if (!ar->measure)
        return eadd_run(h, a, ar->addr, ar->size, ar->flags);
    for (uint64_t off = 0; off < ar->size; off += PAGE) {
        const uint8_t *data = NULL;
        uint64_t idx = off / PAGE;
        if (ar->kind == A_MANIFEST) {
            /* The manifest bytes, then the NUL Gramine appends, then zeros. */
            size_t total = manifest_len + 1, n = 0;
            memset(page, 0, PAGE);
            if (off < total) {
                n = total - (size_t)off < PAGE ? total - (size_t)off : PAGE;
                if (off < manifest_len) {
                    size_t m = manifest_len - (size_t)off < n ? manifest_len - (size_t)off : n;
                    struct mse_rd rd;
                    mse_rd_init(&rd, manifest, manifest_len);
                    MSE_TRY(mse_rd_skip(&rd, (size_t)off));
                    MSE_TRY(mse_rd_copy(&rd, page, m));
                }
            }
            data = page;
        } else if (ar->kind == A_TCS) {
            MSE_TRY(tcs_page(L, a, elf, idx, page));
            data = page;
        } else if (ar->kind == A_TLS) {
            tls_page(L, a, manifest_len, idx, page);
            data = page;
        }
        MSE_TRY(include_page(h, a, ar->addr + off, ar->flags, data, ar->measure));
    }
    return MSE_OK;
}

mse_err mse_measure_enclave(const struct mse_enclave_attrs *attrs, const uint8_t *manifest,
                            size_t manifest_len, const uint8_t *elf_bytes, size_t elf_len,
                            uint8_t mrenclave[32])
{
    mse_err err = MSE_OK;
    struct layout L = {0};
    struct hasher *h = NULL;
    uint8_t *page = NULL;
    struct mse_elf *elf = NULL;
    unsigned int dlen = 0;
    MSE_ENSURE(manifest != NULL || manifest_len == 0, MSE_ERR_ARG);
    MSE_ENSURE(elf_bytes != NULL, MSE_ERR_ARG);
    MSE_ENSURE(attrs->max_threads <= MAX_THREADS, MSE_ERR_LIMIT);
    MSE_ENSURE(attrs->enclave_size > 0 && manifest_len < (1u << 30), MSE_ERR_MANIFEST);
    elf = malloc(sizeof *elf);
    h = calloc(1, sizeof *h);
    page = malloc(PAGE);
    MSE_ENSURE_OUT(elf && h && page, MSE_ERR_NOMEM);
    MSE_CHECK_OUT(mse_elf_parse(elf_bytes, elf_len, elf));
    MSE_CHECK_OUT(build_layout(attrs, manifest_len, elf, &L));
    h->md = EVP_MD_CTX_new();
    MSE_ENSURE_OUT(h->md != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) == 1, MSE_ERR_CRYPTO);
    MSE_CHECK_OUT(do_ecreate(h, attrs->enclave_size));
    for (size_t k = 0; k < L.n; k++)
        MSE_CHECK_OUT(measure_area(h, &L, attrs, &L.areas[k], manifest, manifest_len, elf,
                                   elf_bytes, elf_len, page));
    MSE_CHECK_OUT(h_flush(h));
    MSE_ENSURE_OUT(EVP_DigestFinal_ex(h->md, mrenclave, &dlen) == 1 && dlen == 32, MSE_ERR_CRYPTO);
out:
    if (h)
        EVP_MD_CTX_free(h->md);
    free(h);
    free(page);
    free(elf);
    free(L.areas);
    return err;
}

mse_err mse_measure_manifest_sgx(const uint8_t *manifest, size_t manifest_len,
                                 const uint8_t *elf, size_t elf_len, uint8_t mrenclave[32],
                                 struct mse_enclave_attrs *attrs_out)
{
    mse_err err = MSE_OK;
    struct mse_toml *root = NULL;
    struct mse_enclave_attrs attrs;
    MSE_CHECK_OUT(mse_toml_parse(manifest, manifest_len, &root, NULL));
    MSE_CHECK_OUT(mse_manifest_attrs(root, &attrs));
    MSE_CHECK_OUT(mse_measure_enclave(&attrs, manifest, manifest_len, elf, elf_len, mrenclave));
    if (attrs_out)
        *attrs_out = attrs;
out:
    mse_toml_free(root);
    return err;
}
