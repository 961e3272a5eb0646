package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** One file, directory or symlink that an OSImage adds on top of its layers. */
@ValidationRule(
    value = "!(has(self.directory) && self.directory && has(self.symlink))",
    message = "an entry is either a directory or a symlink, not both",
    fieldPath = ".symlink")
@ValidationRule(
    value =
        "!((has(self.directory) && self.directory) || has(self.symlink)) || !has(self.contents)",
    message = "contents are only allowed for regular files",
    fieldPath = ".contents")
public class FileSpec {
  private static final String MODE_PATTERN = "^0?[0-7]{3,4}$";
  private static final int MAX_PATH = 4096;
  private static final int MAX_CONTENTS = 1048576;
  private static final long MAX_ID = 4294967294L;
  // Searched, not matched whole, as CEL's matches() does: a line break must not hide a "..".
  private static final java.util.regex.Pattern DOT_DOT =
      java.util.regex.Pattern.compile("(^|/)[.][.](/|$)");

  @JsonPropertyDescription("Path inside the image, relative to its root, without '..'.")
  @Required
  @Size(min = 1, max = 4096)
  @ValidationRule(
      value = "!self.startsWith('/') && !self.matches('(^|/)[.][.](/|$)')",
      message = "path must be relative to the image root and must not contain '..'")
  // The kernel's initramfs unpacker stops a name at NUL: "etc/passwd\0x" would replace etc/passwd.
  @ValidationRule(value = "!self.contains('\\x00')", message = "path must not contain NUL")
  private String path;

  @JsonPropertyDescription("Contents of a regular file (UTF-8 text).")
  @Size(max = 1048576)
  private String contents;

  @JsonPropertyDescription(
      "Permission bits in octal, e.g. \"0644\"; default 0644 for files, 0755 for directories.")
  @Pattern(MODE_PATTERN)
  private String mode;

  @JsonPropertyDescription("Owner user id; default 0.")
  @Min(0)
  @Max(4294967294.0)
  private Long uid;

  @JsonPropertyDescription("Owner group id; default 0.")
  @Min(0)
  @Max(4294967294.0)
  private Long gid;

  @JsonPropertyDescription("True for a directory.")
  private Boolean directory;

  @JsonPropertyDescription("Target of a symbolic link; makes the entry a symlink.")
  @Size(min = 1, max = 4096)
  @ValidationRule(value = "!self.contains('\\x00')", message = "symlink must not contain NUL")
  private String symlink;

  public FileSpec() {}

  public FileSpec(String path, String contents, String mode) {
    this.path = path;
    this.contents = contents;
    this.mode = mode;
  }

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  public String getContents() {
    return contents;
  }

  public void setContents(String contents) {
    this.contents = contents;
  }

  public String getMode() {
    return mode;
  }

  public void setMode(String mode) {
    this.mode = mode;
  }

  public Long getUid() {
    return uid;
  }

  public void setUid(Long uid) {
    this.uid = uid;
  }

  public Long getGid() {
    return gid;
  }

  public void setGid(Long gid) {
    this.gid = gid;
  }

  public Boolean getDirectory() {
    return directory;
  }

  public void setDirectory(Boolean directory) {
    this.directory = directory;
  }

  public boolean isDirectory() {
    return Boolean.TRUE.equals(directory);
  }

  public String getSymlink() {
    return symlink;
  }

  public void setSymlink(String symlink) {
    this.symlink = symlink;
  }

  /** The permission bits, defaulted by kind. */
  public int effectiveMode() {
    if (mode != null && !mode.isEmpty()) {
      if (!mode.matches(MODE_PATTERN)) {
        throw new NumberFormatException(
            "\"" + mode + "\" is not an octal file mode (\"0000\" to \"07777\")");
      }
      return Integer.parseInt(mode, 8);
    }
    if (symlink != null) {
      return 0777;
    }
    return isDirectory() ? 0755 : 0644;
  }

  /**
   * Checks what the CRD's schema checks, for an entry that did not pass through the API server
   * (read from a file by the command line, or a plan).
   *
   * @param field where the entry is, e.g. {@code spec.files[2]}, to name it in the message
   * @throws IllegalArgumentException naming the field and what is wrong with it
   */
  public void validate(String field) {
    if (path == null || path.isEmpty()) {
      throw invalid(field + ".path", "is required and must not be empty");
    }
    if (path.length() > MAX_PATH) {
      throw invalid(field + ".path", "is longer than " + MAX_PATH + " characters");
    }
    if (path.indexOf('\0') >= 0) {
      throw invalid(field + ".path", quote(path) + " contains a NUL character");
    }
    if (path.startsWith("/") || DOT_DOT.matcher(path).find()) {
      throw invalid(
          field + ".path",
          quote(path) + ": path must be relative to the image root and must not contain '..'");
    }
    if (mode != null && !mode.matches(MODE_PATTERN)) {
      throw invalid(
          field + ".mode", quote(mode) + " is not an octal file mode (\"0000\" to \"07777\")");
    }
    checkId(field + ".uid", uid);
    checkId(field + ".gid", gid);
    if (symlink != null && (symlink.isEmpty() || symlink.length() > MAX_PATH)) {
      throw invalid(field + ".symlink", "must be 1 to " + MAX_PATH + " characters long");
    }
    if (symlink != null && symlink.indexOf('\0') >= 0) {
      throw invalid(field + ".symlink", quote(symlink) + " contains a NUL character");
    }
    if (contents != null && contents.length() > MAX_CONTENTS) {
      throw invalid(field + ".contents", "is longer than " + MAX_CONTENTS + " characters");
    }
    if (isDirectory() && symlink != null) {
      throw invalid(field + ".symlink", "an entry is either a directory or a symlink, not both");
    }
    if ((isDirectory() || symlink != null) && contents != null) {
      throw invalid(field + ".contents", "contents are only allowed for regular files");
    }
  }

  private static void checkId(String field, Long id) {
    if (id != null && (id < 0 || id > MAX_ID)) {
      throw invalid(field, id + " is not between 0 and " + MAX_ID);
    }
  }

  private static IllegalArgumentException invalid(String field, String problem) {
    return new IllegalArgumentException(field + ": " + problem);
  }

  /** The value as one short line: control characters escaped, long values cut. */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length() && i < 80; i++) {
      char c = s.charAt(i);
      if (c == 0) {
        sb.append("\\0");
      } else if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append(s.length() > 80 ? "...\"" : "\"").toString();
  }
}
