package dev.lamina.policy;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.ast.CelReference;
import dev.cel.common.types.CelKind;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.Program;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Compiles CEL rule expressions over {@code object} and {@code layers}. The environment is fixed,
 * so a compiled program depends on its expression only, and the shared instance keeps programs by
 * expression: a policy change recompiles only the expressions that changed.
 */
final class CelPrograms {
  static final String OBJECT = "object";
  static final String LAYERS = "layers";

  /** Used by every engine: holds at most this many expressions, least recently used dropped. */
  static final CelPrograms SHARED = new CelPrograms(true, 4096);

  private static final Cel CEL =
      CelFactory.standardCelBuilder()
          .setOptions(
              CelOptions.current()
                  .enableHeterogeneousNumericComparisons(true)
                  // Bounds the work one rule can do on a large object.
                  .comprehensionMaxIterations(100_000)
                  .build())
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addCompilerLibraries(CelExtensions.strings())
          .addRuntimeLibraries(CelExtensions.strings())
          .addVar(OBJECT, MapType.create(SimpleType.STRING, SimpleType.DYN))
          .addVar(LAYERS, MapType.create(SimpleType.STRING, SimpleType.DYN))
          .build();

  /**
   * A compiled expression, or why it did not compile.
   *
   * @param program null when it did not compile
   * @param resultKind the checked type of the result (DYN when only known at run time)
   * @param usesLayers whether the expression reads the {@code layers} variable
   * @param error the compiler's message, on one line
   */
  record Compiled(Program program, CelKind resultKind, boolean usesLayers, String error) {
    boolean ok() {
      return program != null;
    }

    Object eval(Map<String, ?> variables) throws CelEvaluationException {
      return program.eval(variables);
    }
  }

  private final boolean caching;
  private final Map<String, Compiled> cache;
  private final AtomicLong compilations = new AtomicLong();

  CelPrograms(boolean caching, int capacity) {
    this.caching = caching;
    this.cache =
        Collections.synchronizedMap(
            new LinkedHashMap<>(64, 0.75f, true) {
              @Override
              protected boolean removeEldestEntry(Map.Entry<String, Compiled> eldest) {
                return size() > capacity;
              }
            });
  }

  /** The program of {@code expression}, compiled now or taken from the cache. */
  Compiled get(String expression) {
    if (!caching) {
      return compile(expression);
    }
    return cache.computeIfAbsent(expression, this::compile);
  }

  /** Number of times an expression was actually compiled. */
  long compilations() {
    return compilations.get();
  }

  private Compiled compile(String expression) {
    compilations.incrementAndGet();
    CelValidationResult result = CEL.compile(expression);
    if (result.hasError()) {
      return new Compiled(null, null, false, describe(result));
    }
    try {
      CelAbstractSyntaxTree ast = result.getAst();
      boolean usesLayers =
          ast.getReferenceMap().values().stream().map(CelReference::name).anyMatch(LAYERS::equals);
      return new Compiled(CEL.createProgram(ast), ast.getResultType().kind(), usesLayers, null);
    } catch (CelValidationException | CelEvaluationException e) {
      return new Compiled(null, null, false, e.getMessage());
    }
  }

  private static String describe(CelValidationResult result) {
    return result.getErrors().stream().map(CelPrograms::describe).collect(Collectors.joining("; "));
  }

  private static String describe(CelIssue issue) {
    var at = issue.getSourceLocation();
    return at.getLine() > 0
        ? at.getLine() + ":" + (at.getColumn() + 1) + ": " + issue.getMessage()
        : issue.getMessage();
  }
}
