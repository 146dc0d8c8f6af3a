// anylinuxfs: mount any filesystem Linux supports, through a microVM and NFS.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "cli/commands.h"
#include "cli/mount_helper.h"
#include "cli/say.h"
#include "cli/version.h"
#include "common/error.h"
#include "common/os.h"
#include "common/printable.h"
#include "config/config.h"
#include "config/paths.h"
#include "host/user_files.h"

namespace {

constexpr int kExitSuccess = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitMountFailed = 32;  // mount(8)'s "mount failure", which it passes on from a helper

// Errors may quote the guest or a disk (a guest tool's message, a label).
void print_error(const std::exception& e, bool ours) {
  std::fprintf(stderr, "anylinuxfs: %s%s\n", ours ? "" : "unexpected error: ", alfs::printable(e.what(), true).c_str());
}

// Run by mount(8) as /sbin/mount.anylinuxfs, with mount(8)'s exit statuses.
int mount_helper_main(int argc, char** argv) {
  // Our commands know an instance's supervisor by its process name (instance/record), and
  // the supervisor is forked from this process: named as the CLI, not "mount.anylinuxf".
  alfs::set_process_name("anylinuxfs");
  try {
    alfs::adopt_invoking_user_files();
    alfs::cli::HelperMount helper = alfs::cli::parse_mount_helper_args({argv + 1, argv + argc});
    if (helper.fake) return kExitSuccess;
    return alfs::cli::mount_command(helper.args) == kExitSuccess ? kExitSuccess : kExitMountFailed;
  } catch (const alfs::cli::HelperUsageError& e) {
    print_error(e, true);
    return kExitFailure;
  } catch (const alfs::Error& e) {
    print_error(e, true);
    return kExitMountFailed;
  } catch (const std::exception& e) {
    print_error(e, false);
    return kExitMountFailed;
  }
}

// The subcommand of `app` that `name` names (or an alias of it); nullptr: none.
const CLI::App* subcommand_named(const CLI::App& app, const std::string& name) {
  auto named = app.get_subcommands([&](const CLI::App* sub) { return sub->check_name(name); });
  return named.empty() ? nullptr : named.front();
}

// `mount` is the default command: `anylinuxfs disk.img` means `anylinuxfs mount disk.img`.
// Whatever comes first that is not one of the app's commands or its own options (-h,
// --help, --version) is mount's.
std::vector<std::string> with_default_command(const CLI::App& app, int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && !subcommand_named(app, args.front()) && !app.get_option_no_throw(args.front()))
    args.insert(args.begin(), "mount");
  return args;
}

// `vm exec [-t T] -- CMD...` as docker and kubectl take it: the `--` only ends exec's own
// options (CLI11 would hand it and the command back to `vm`, which has no positionals).
void drop_exec_separator(std::vector<std::string>& args) {
  if (args.size() < 2 || args[0] != "vm" || args[1] != "exec") return;
  for (size_t i = 2; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
    if (a == "-t" || a == "--target")
      ++i;  // its value
    else if (a.empty() || a[0] != '-')
      return;  // the command's first word
  }
}

// `help [COMMAND [SUBCOMMAND]]`: what `[COMMAND...] --help` prints.
void print_help(const CLI::App& app, const std::vector<std::string>& command) {
  const CLI::App* about = &app;
  std::string path = app.get_name();
  for (const std::string& name : command) {
    about = subcommand_named(*about, name);
    if (!about) throw CLI::ValidationError("COMMAND", "unknown command '" + name + "' (see `anylinuxfs help`)");
    path += (path.empty() ? "" : " ") + about->get_name();
  }
  std::fputs(about->get_formatter()->make_help(about, path, CLI::AppFormatMode::Normal).c_str(), stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 0 && std::filesystem::path(argv[0]).filename() == alfs::cli::kMountHelperName)
    return mount_helper_main(argc, argv);
  CLI::App app{"anylinuxfs: mount any Linux-supported filesystem through a microVM"};
  app.set_version_flag(
      "--version", [] { return alfs::cli::version_text(); }, "the version, and the guest image and QEMU a mount uses");
  app.require_subcommand(1);
  int rc = 0;

  alfs::cli::MountArgs mount;
  auto* mount_cmd = app.add_subcommand("mount", "Mount a disk, partition or image (the default command)");
  mount_cmd->add_option("DISK_IDENT", mount.disk, "disk.img, disk.img@sN, /dev/sdb1, ... (none: a diskless -a action)");
  mount_cmd->add_option("MOUNT_POINT", mount.mount_point,
                        "default: /mnt/<label> as root, ~/mnt/<label> otherwise (macOS: /Volumes, ~/Volumes)");
  mount_cmd->add_option("-o,--options", mount.options, "Linux mount options for the guest's mount (ro, noatime, ...)");
  mount_cmd->add_option("-t,--types", mount.fstype, "filesystem type or driver");
  mount_cmd->add_option("-k,--key-file", mount.key_file,
                        "key file that unlocks the encrypted drives (or $ALFS_KEY_FILE)");
  std::string prompt_mode = "a";
  mount_cmd->add_option("-p,--passphrase-prompt", prompt_mode, "a: ask a passphrase per drive, 1: one for all")
      ->check(CLI::IsMember({"a", "1"}));
  mount_cmd
      ->add_option("-b,--bind-address", mount.bind_address,
                   "address the NFS ports listen on (default 127.0.0.1; 0.0.0.0: every interface)")
      ->check(CLI::ValidIPV4);
  mount_cmd
      ->add_option("--allow", mount.allow,
                   "with -b: a network that may mount the share, ADDR[/PREFIX] (repeatable; "
                   "default: the config's [share] allow, else anyone who reaches the address)")
      ->allow_extra_args(false);  // one network per --allow: the disk and mount point follow
  mount_cmd->add_flag("--ignore-permissions", mount.ignore_permissions,
                      "let the invoking user write anywhere on the filesystem (acts as root in the guest)");
  mount_cmd->add_option("-a,--action", mount.action, "a custom action of the config (see `anylinuxfs actions`)");
  auto* verbose_flag = mount_cmd->add_flag("-v,--verbose", mount.verbose,
                                           "each step on a line of its own, and log at the debug level (vm.log_level)");
  mount_cmd->add_flag("-q,--quiet", mount.quiet, "print nothing but warnings and errors")->excludes(verbose_flag);
  mount_cmd->add_flag("-r,--remount", mount.remount, "unmount the disk where the host itself has mounted it first");
  mount_cmd->add_option("-n,--nfs-options", mount.nfs_options,
                        "more options for the host's NFS client where it mounts (macOS; root with a kernel NFS "
                        "client): caching, timeouts, sizes");
  mount_cmd->add_option("--nfs-export-opts", mount.nfs_export_options,
                        "more options for the guest's NFS export (no_wdelay, subtree_check, ...; none that widens "
                        "access)");
  mount_cmd->add_option("--backend", mount.backend, "VM backend: qemu, krun or auto (default: the config's vm.backend)")
      ->check(CLI::IsMember(std::vector<std::string>(alfs::kVmBackends.begin(), alfs::kVmBackends.end())));
  mount_cmd->callback([&] {
    mount.one_passphrase_for_all = prompt_mode == "1";
    rc = alfs::cli::mount_command(mount);
  });

  std::string target;
  bool wait = false;
  auto* unmount_cmd = app.add_subcommand("unmount", "Unmount cleanly (all instances without an argument)");
  unmount_cmd->alias("umount");
  unmount_cmd->add_option("TARGET", target, "mount point or disk identifier");
  unmount_cmd->add_flag("-w,--wait", wait, "wait until the VM is gone");
  unmount_cmd->callback([&] { rc = alfs::cli::unmount_command(target, wait); });

  bool status_json = false;
  auto* status_cmd = app.add_subcommand("status", "One line per running instance");
  status_cmd->add_flag("--json", status_json, "print a JSON document (docs/status-json.md)");
  status_cmd->callback([&] { rc = alfs::cli::status_command(status_json); });

  bool follow = false;
  auto* log_cmd = app.add_subcommand("log", "The current or last run's host log");
  log_cmd->add_flag("-f,--follow", follow, "keep printing while the instance runs");
  log_cmd->callback([&] { rc = alfs::cli::log_command(follow); });
  app.add_subcommand("dmesg", "The current or last run's guest kernel and agent log")->callback([&] {
    rc = alfs::cli::dmesg_command();
  });

  bool force = false;
  auto* stop_cmd = app.add_subcommand("stop", "Stop an instance that did not shut down by itself");
  stop_cmd->add_option("MOUNT_POINT", target, "mount point or disk identifier");
  stop_cmd->add_flag("-f,--force", force, "kill the VM without a clean unmount");
  stop_cmd->callback([&] { rc = alfs::cli::stop_command(target, force); });

  // `image build`, and `init`, its familiar name.
  bool with_zfs = false, without_zfs = false, system_cache = false;
  std::string build_arch;
  auto add_build = [&](CLI::App* parent, const std::string& name, const std::string& about) {
    auto* build = parent->add_subcommand(name, about);
    auto* zfs_on =
        build->add_flag("--with-zfs", with_zfs, "the variant with OpenZFS (kept in the config: [guest] zfs)");
    build->add_flag("--without-zfs", without_zfs, "the default image again")->excludes(zfs_on);
    build
        ->add_option("--arch", build_arch,
                     "the image for arm64 or x86_64 guests (default: this machine's; the same as ALFS_GUEST_ARCH)")
        ->check(CLI::IsMember({"x86_64", "arm64"}));
    build->add_flag(
        "--system", system_cache,
        std::string("into the system-wide cache, ") + alfs::kSystemImageRoot + " (as root, not through sudo)");
    build->callback([&] {
      std::optional<bool> zfs;
      if (with_zfs || without_zfs) zfs = with_zfs;
      rc = alfs::cli::image_build_command(zfs, system_cache, build_arch);
    });
  };
  add_build(&app, "init", "(Re)build the guest image (the same as `image build`)");
  auto* image = app.add_subcommand("image", "The guest image: list, build, export, import, remove");
  image->require_subcommand(1);
  bool image_json = false;
  auto* image_list = image->add_subcommand("list", "The images in your cache and the system-wide one");
  image_list->add_flag("--json", image_json, "print a JSON document (docs/image-list-json.md)");
  image_list->callback([&] { rc = alfs::cli::image_list_command(image_json); });
  add_build(image, "build", "(Re)build the guest image from Debian packages");
  std::string image_file, image_name;
  auto* image_export = image->add_subcommand("export", "Write an image to one file (tar, zstd, SHA-256 per member)");
  image_export->add_option("FILE", image_file, "the archive to write (e.g. anylinuxfs-image.tar.zst)")->required();
  image_export->add_option("NAME", image_name, "the image (see `image list`; default: the one a mount boots now)");
  image_export->callback([&] { rc = alfs::cli::image_export_command(image_file, image_name); });
  auto* image_import =
      image->add_subcommand("import", "Add an exported image to the cache, once every checksum matches");
  image_import->add_option("FILE", image_file, "an archive `image export` wrote")->required();
  image_import->add_flag(
      "--system", system_cache,
      std::string("into the system-wide cache, ") + alfs::kSystemImageRoot + " (as root, not through sudo)");
  image_import->callback([&] { rc = alfs::cli::image_import_command(image_file, system_cache); });
  auto* image_remove = image->add_subcommand("remove", "Remove an image from the cache");
  image_remove->alias("rm");
  image_remove->add_option("NAME", image_name, "the image (see `image list`)")->required();
  image_remove->add_flag("--system", system_cache, "from the system-wide cache (as root, not through sudo)");
  image_remove->callback([&] { rc = alfs::cli::image_remove_command(image_name, system_cache); });

  std::string shell_cmd;
  std::vector<std::string> shell_disks;
  auto* shell =
      app.add_subcommand("shell", "A shell (or one command) in a VM with the disks as /dev/vda, /dev/vdb, ...");
  shell->add_option("-c,--command", shell_cmd, "run this command with /bin/sh -c and exit with its status");
  shell->add_option("DISK_IDENT", shell_disks, "disks or images to attach read-write");
  shell->callback([&] { rc = alfs::cli::shell_command(shell_cmd, shell_disks); });

  auto* vm = app.add_subcommand("vm", "Run a command or a shell in a running instance's VM");
  vm->require_subcommand(1);
  auto* vm_exec = vm->add_subcommand("exec", "Run a command (no shell) in the guest; its exit status is ours");
  vm_exec->add_option("-t,--target", target, "mount point or disk identifier (needed when several instances run)");
  // Everything from the first positional on is the command, its own options included.
  vm_exec->prefix_command();
  vm_exec->footer("COMMAND...: the command and its arguments");
  vm_exec->callback([&] { rc = alfs::cli::vm_exec_command(target, vm_exec->remaining()); });
  auto* vm_attach = vm->add_subcommand("attach", "A login shell in the guest");
  vm_attach->add_option("-t,--target", target, "mount point or disk identifier (needed when several instances run)");
  vm_attach->callback([&] { rc = alfs::cli::vm_attach_command(target); });

  alfs::cli::ListArgs list;
  auto* list_cmd = app.add_subcommand("list", "Disks and partitions, with the identifiers mount accepts");
  list_cmd->add_option("DISKS", list.disks, "only these block devices or image files");
  auto* linux_flag = list_cmd->add_flag("-l,--linux", list.linux_only, "only Linux filesystems and containers");
  list_cmd->add_flag("-m,--microsoft", list.microsoft_only, "only Microsoft filesystems (NTFS, exFAT, FAT, BitLocker)")
      ->excludes(linux_flag);
  list_cmd->add_flag("--json", list.json, "print a JSON document (docs/list-json.md)");
  list_cmd->add_option("-d,--decrypt", list.decrypt,
                       "open the LUKS/BitLocker containers of this disk (or 'all') to show what they hold");
  list_cmd->callback([&] { rc = alfs::cli::list_command(list); });

  alfs::cli::ConfigArgs config;
  auto* config_cmd =
      app.add_subcommand("config", "Show the configured defaults and where each comes from, or change them");
  config_cmd->add_option("-r,--ram-size", config.ram_size_mib, "guest RAM in MiB (vm.ram_size_mib)")
      ->check(CLI::Range(alfs::kMinRamSizeMib, alfs::kMaxRamSizeMib));
  config_cmd->add_option("-n,--num-vcpus", config.num_vcpus, "guest vCPUs (vm.num_vcpus)")
      ->check(CLI::Range(alfs::kMinVcpus, alfs::kMaxVcpus));
  config_cmd
      ->add_option("-l,--log-level", config.log_level,
                   "what a mount's host log keeps and its guest kernel's console shows (vm.log_level)")
      ->check(CLI::IsMember(std::vector<std::string>(alfs::kLogLevels.begin(), alfs::kLogLevels.end())));
  config_cmd->footer("Changes are written to ~/.anylinuxfs/config.toml, keeping its other lines.");
  config_cmd->callback([&] { rc = alfs::cli::config_command(config); });
  app.add_subcommand("actions", "The custom actions of the config, with their descriptions")->callback([&] {
    rc = alfs::cli::actions_command();
  });

  auto* pkg = app.add_subcommand("pkg", "Extra Debian packages in the guest image, kept across image builds");
  pkg->alias("apk");
  pkg->require_subcommand(1);
  std::vector<std::string> packages;
  for (const char* verb : {"add", "del", "list"}) {
    auto* sub = pkg->add_subcommand(verb, std::string(verb) == "add"   ? "install packages into the guest image"
                                          : std::string(verb) == "del" ? "remove packages from the guest image"
                                                                       : "the packages added");
    if (std::string(verb) != "list") sub->add_option("PACKAGES", packages, "Debian package names")->required();
    sub->callback([&, verb] { rc = alfs::cli::pkg_command(verb, packages); });
  }

  std::vector<std::string> help_command;
  auto* help = app.add_subcommand("help", "This help, or a command's (as COMMAND --help)");
  help->add_option("COMMAND", help_command, "a command, and a subcommand of it (`help vm exec`)");
  help->callback([&] { print_help(app, help_command); });

  // -q and -v on every command (cli/say); mount has its own, which also shape its progress line.
  const auto all = [](CLI::App*) { return true; };
  std::function<void(CLI::App*)> add_verbosity = [&](CLI::App* parent) {
    for (CLI::App* sub : parent->get_subcommands(all)) {
      if (sub == mount_cmd || sub == help) continue;
      if (!sub->get_subcommands(all).empty()) {
        add_verbosity(sub);
        continue;
      }
      auto* verbose = sub->add_flag_callback(
          "-v,--verbose", [] { alfs::cli::say().set(alfs::cli::Verbosity::kVerbose); },
          "say each step on standard error");
      sub->add_flag_callback(
             "-q,--quiet", [] { alfs::cli::say().set(alfs::cli::Verbosity::kQuiet); },
             "print only errors, warnings and what was asked for (no progress, no \"done\" lines)")
          ->excludes(verbose);
    }
  };
  add_verbosity(&app);

  // After the commands: a footer set earlier would be inherited by each of them.
  app.footer(
      "Exit status: 0 success, 1 failure, 2 usage error. `vm exec` and `shell -c` exit with\n"
      "the guest command's status instead (128+N: killed by signal N); an error of anylinuxfs\n"
      "itself, usage errors included, is a line on stderr starting with `anylinuxfs:`.");
  // Our prefix on usage errors too: it tells them from a guest command's own output.
  app.failure_message(
      [](const CLI::App* app, const CLI::Error& e) { return "anylinuxfs: " + CLI::FailureMessage::simple(app, e); });

  std::vector<std::string> args = with_default_command(app, argc, argv);
  drop_exec_separator(args);
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
  try {
    // Before anything touches a file: under sudo, with the invoking user's credentials.
    alfs::adopt_invoking_user_files();
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    // CLI11 has an exit code per kind of usage error (105-109); ours are 0 for --help and
    // --version, 2 for any usage error, as Linux tools do.
    return app.exit(e) == static_cast<int>(CLI::ExitCodes::Success) ? kExitSuccess : kExitUsage;
  } catch (const alfs::Error& e) {
    print_error(e, true);
    return kExitFailure;
  } catch (const std::exception& e) {
    print_error(e, false);
    return kExitFailure;
  }
  return rc;
}
