package xenaudit.sample;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import xenaudit.policy.CpuPolicy;
import xenaudit.policy.PolicyText;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.CpuidProfiles.Variation;

/**
 * {@code make-host-policy --model MODEL [--no-avx512] --out FILE}: writes what {@code xen-cpuid -p}
 * prints on a Xen 4.19 host of that CPU model, six blocks (Raw, Host, PV Max, HVM Max, PV Default,
 * HVM Default), as a {@code --targetPolicy} for trying the migration check on a generated fleet.
 * The Max blocks are the generator's guest policies for the model with every opt-in it knows (RTM,
 * CPUID faulting); {@code --no-avx512} takes AVX-512 away, as a pool of older hosts would.
 */
public final class HostPolicies {
  static final List<String> BLOCKS = List.of("Raw", "Host", "PV Max", "HVM Max", "PV Default", "HVM Default");

  private HostPolicies() {}

  /** The six blocks of a host of this model. */
  public static String dump(Model model, boolean avx512) {
    StringBuilder s = new StringBuilder();
    for (String block : BLOCKS) {
      boolean hvm = !block.startsWith("PV");
      boolean max = !block.endsWith("Default");
      Set<Variation> v = EnumSet.noneOf(Variation.class);
      if (max) {
        v.addAll(List.of(Variation.RTM_EXPOSED, Variation.CPUID_FAULTING));
      }
      if (!avx512) {
        v.add(Variation.AVX512_MASKED);
      }
      v = CpuidProfiles.applicable(model, v);
      CpuPolicy p = CpuPolicy.of(CpuidProfiles.cpuid(model, hvm, 4, 19, 8, v), CpuidProfiles.msr(model, 4, 19, v));
      s.append(PolicyText.format(block, p));
    }
    return s.toString();
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    Model model = Model.INTEL_CASCADE_LAKE;
    boolean avx512 = true;
    Path file = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      try {
        switch (a) {
          case "--model" -> model = Model.valueOf(args[++i].toUpperCase(Locale.ROOT).replace('-', '_'));
          case "--no-avx512" -> avx512 = false;
          case "--out" -> file = Path.of(args[++i]);
          case "-h", "--help" -> {
            out.println(usage());
            return 0;
          }
          default -> {
            err.println("make-host-policy: unknown option " + a + "\n" + usage());
            return 2;
          }
        }
      } catch (ArrayIndexOutOfBoundsException | IllegalArgumentException e) {
        err.println("make-host-policy: " + a + " needs a value (models: intel-cascade-lake, intel-sapphire-rapids, "
            + "amd-rome, amd-milan)\n" + usage());
        return 2;
      }
    }
    if (file == null) {
      err.println("make-host-policy: --out FILE is required\n" + usage());
      return 2;
    }
    try {
      Files.writeString(file, dump(model, avx512), StandardCharsets.UTF_8);
    } catch (IOException e) {
      err.println("make-host-policy: cannot write " + file + ": " + e.getMessage());
      return 1;
    }
    out.println("wrote the " + model.name().toLowerCase(Locale.ROOT).replace('_', '-') + " host policy"
        + (avx512 ? "" : " without AVX-512") + " to " + file);
    return 0;
  }

  static String usage() {
    return "usage: make-host-policy [--model MODEL] [--no-avx512] --out FILE\n"
        + "  Writes a six-block xen-cpuid -p dump of a Xen 4.19 host, for --targetPolicy.\n"
        + "  MODEL: intel-cascade-lake (default), intel-sapphire-rapids, amd-rome, amd-milan";
  }
}
