/*
 * The simulated runtime's stand-in for Gramine's LibOS (libsysdb.so): the
 * manifest pins it by SHA-256 (loader.entrypoint), as it pins the real one.
 * Built by runtime/CMakeLists.txt with -nostdlib; not Gramine's LibOS.
 */
static const char banner[] = "mse simulated runtime libsysdb -- not Gramine's LibOS";

const char *sim_libos_banner(void);
const char *sim_libos_banner(void)
{
    return banner;
}
