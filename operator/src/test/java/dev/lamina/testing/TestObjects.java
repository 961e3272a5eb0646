package dev.lamina.testing;

import dev.lamina.api.Architecture;
import dev.lamina.api.KernelSpec;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageSpec;
import dev.lamina.api.OutputSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;

/** Resources as tests write them. */
public final class TestObjects {
  private TestObjects() {}

  /** An OSImage of Layer "kernel" with init Layer "base", pushed to {@code repository}. */
  public static OSImage osImage(
      String ns, String name, List<Architecture> archs, String repository, String cmdline) {
    OSImage o = new OSImage();
    o.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    OSImageSpec spec = new OSImageSpec();
    spec.setArchitectures(archs);
    KernelSpec k = new KernelSpec();
    k.setLayer("kernel");
    k.setCmdline(cmdline);
    spec.setKernel(k);
    spec.setInit(List.of("base"));
    OutputSpec out = new OutputSpec();
    out.setRepository(repository);
    spec.setOutput(out);
    o.setSpec(spec);
    return o;
  }
}
