package dev.lamina.cli;

import dev.lamina.local.LocalNodeAgent;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the local node agent: a kubelet stand-in that runs pods as {@code java -jar} processes. */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = "Register local Nodes and run the pods bound to them as java -jar processes.")
public final class NodeCommand implements Callable<Integer> {
  @Option(
      names = "--arch",
      split = ",",
      defaultValue = "amd64,arm64",
      description = "Architectures to register a Node for (local-<arch>).")
  List<String> architectures;

  @Option(
      names = "--jar",
      description = "The jar each container runs; default the running lamina.jar.")
  Path jar;

  @Option(
      names = "--work-dir",
      description = "Where pod directories go; default a new temporary directory.")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    Path jarPath = jar != null ? jar : runningJar();
    if (jarPath == null || !Files.isRegularFile(jarPath)) {
      System.err.println("lamina node: no jar to run; pass --jar PATH");
      return 2;
    }
    for (String a : architectures) {
      if (!a.matches("[a-z0-9]+")) {
        System.err.println("lamina node: not an architecture: " + a);
        return 2;
      }
    }
    Path dir = workDir != null ? workDir : Files.createTempDirectory("lamina-node-");
    KubernetesClient client = new KubernetesClientBuilder().build();
    LocalNodeAgent agent = new LocalNodeAgent(client, architectures, jarPath, dir);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  agent.close();
                  client.close();
                  stopped.countDown();
                }));
    agent.start();
    stopped.await();
    return 0;
  }

  private static Path runningJar() {
    try {
      Path p =
          Path.of(NodeCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return p.toString().endsWith(".jar") ? p : null;
    } catch (Exception e) {
      return null;
    }
  }
}
