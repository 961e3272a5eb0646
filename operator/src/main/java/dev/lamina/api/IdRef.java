package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Map;
import java.util.Objects;

/**
 * A user or group id as LinuxKit writes one: a number, {@code root} (0), or the name of one of the
 * image's containers (onboot, onshutdown or services), which stands for the id LinuxKit gives that
 * container: 100 for the first container, counting onboot, then onshutdown, then services. In YAML
 * and JSON it is a number or a string.
 */
public final class IdRef {
  /** The highest id: 2^32 - 2 (2^32 - 1 is the kernel's "no id"). */
  public static final long MAX = 4294967294L;

  private final Long number;
  private final String name;

  private IdRef(Long number, String name) {
    this.number = number;
    this.name = name;
  }

  public static IdRef of(long number) {
    return new IdRef(number, null);
  }

  public static IdRef of(String name) {
    return new IdRef(null, Objects.requireNonNull(name));
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static IdRef fromJson(Object value) {
    if (value instanceof Number n) {
      return of(n.longValue());
    }
    if (value instanceof String s) {
      return of(s);
    }
    throw new IllegalArgumentException("an id must be a number or a name, not " + value);
  }

  @JsonValue
  Object toJson() {
    return number != null ? number : name;
  }

  /** The number, or null when this is a name. */
  public Long number() {
    return number;
  }

  /** The name, or null when this is a number. */
  public String name() {
    return name;
  }

  /**
   * The numeric id.
   *
   * @param containerIds the id of each container by name
   * @throws IllegalArgumentException when this is a name that is neither root nor a container
   */
  public long resolve(Map<String, Long> containerIds) {
    if (number != null) {
      return number;
    }
    if (name.isEmpty() || name.equals("root")) {
      return 0;
    }
    Long id = containerIds.get(name);
    if (id == null) {
      throw new IllegalArgumentException(
          FileSpec.quote(name) + " is neither a number, root, nor the name of a container");
    }
    return id;
  }

  /**
   * Checks a number's range.
   *
   * @throws IllegalArgumentException naming {@code field}
   */
  public void validate(String field) {
    if (number != null && (number < 0 || number > MAX)) {
      throw new IllegalArgumentException(field + ": " + number + " is not between 0 and " + MAX);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IdRef other
        && Objects.equals(number, other.number)
        && Objects.equals(name, other.name);
  }

  @Override
  public int hashCode() {
    return Objects.hash(number, name);
  }

  @Override
  public String toString() {
    return String.valueOf(toJson());
  }
}
