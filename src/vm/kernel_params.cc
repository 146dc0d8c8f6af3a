#include "vm/kernel_params.h"

namespace alfs::vm {

std::string guest_kernel_parameters(const std::string& root_label, LogLevel log_level) {
  // What the appliance never needs and a boot under TCG pays for (measured with
  // initcall_debug; /init reached after 0.93 s instead of 1.8 s):
  // - the crypto self-tests, run as each algorithm registers (Debian's kernels keep them
  //   on; they are for FIPS, which this guest is not);
  // - the slowest built-in initcalls: BPF's kfunc and test-run registration (no BPF in the
  //   guest), the jitter entropy RNG (the kernel's CRNG is seeded without it), the KDF
  //   and encrypted-key setup (dm-crypt uses neither), Intel IOMMU clean-up (no DMAR), and
  //   the X.509 keys that verify module signatures: the modules come from the image's own
  //   read-only root, which carries the ones loaded at every mount unsigned (unverified,
  //   any module loads all the same and only taints the kernel).
  return "quiet loglevel=" + std::to_string(kernel_console_loglevel(log_level)) +
         " panic=-1 alfs_root=LABEL=" + root_label +
         " cryptomgr.notests=1 initcall_blacklist=bpf_tcp_ca_kfunc_init,bpf_dummy_struct_ops_init,"
         "bpf_prog_test_run_init,bpf_mptcp_kfunc_init,jent_mod_init,crypto_kdf108_init,init_encrypted,"
         "dmar_free_unused_resources,load_system_certificate_list";
}

}  // namespace alfs::vm
