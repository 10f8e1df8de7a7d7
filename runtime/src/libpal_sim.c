/*
 * The simulated runtime's stand-in for Gramine's SGX libpal.so. The
 * measurement reads only an ELF's PT_LOAD segments and entry point, so this
 * is what mse-enclave --provider sim "loads": text, read-only data, data and
 * bss, like a real PAL, and nothing that could run. Built by
 * runtime/CMakeLists.txt with -nostdlib; not the real Gramine PAL.
 */
typedef unsigned long u64;

static const char banner[] = "mse simulated runtime libpal -- not Gramine's PAL";
const u64 sim_pal_table[64] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47};
u64 sim_pal_state = 0x6d73652d73696d31UL;
static char sim_pal_heap[2 * 4096 + 321];

void sim_pal_entry(void);
void sim_pal_entry(void)
{
    for (u64 i = 0; i < sizeof sim_pal_heap; i++)
        sim_pal_heap[i] = (char)(sim_pal_table[i & 63] ^ sim_pal_state ^ (u64)banner[i % sizeof banner]);
    for (;;)
        __asm__ volatile("pause");
}
