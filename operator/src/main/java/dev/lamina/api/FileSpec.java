package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;

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
@ValidationRule(
    value =
        "!has(self.source) || !(has(self.contents) || has(self.metadata) || has(self.symlink)"
            + " || (has(self.directory) && self.directory))",
    message = "a file with a source has no contents, metadata, symlink or directory",
    fieldPath = ".source")
@ValidationRule(
    value =
        "!has(self.metadata) || !(has(self.contents) || has(self.symlink)"
            + " || (has(self.directory) && self.directory))",
    message = "a metadata file has no contents, symlink or directory",
    fieldPath = ".metadata")
@ValidationRule(
    value = "!has(self.optional) || !self.optional || has(self.source)",
    message = "optional is only allowed with a source",
    fieldPath = ".optional")
public class FileSpec {
  private static final String MODE_PATTERN = "^0?[0-7]{3,4}$";
  private static final int MAX_PATH = 4096;
  private static final int MAX_CONTENTS = 1048576;
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

  @JsonPropertyDescription(
      "Owner user id: a number, root, or the name of one of the image's containers (its id, as"
          + " LinuxKit numbers them); default 0.")
  @SchemaFrom(type = IntOrString.class)
  private IdRef uid;

  @JsonPropertyDescription(
      "Owner group id: a number, root, or the name of one of the image's containers; default 0.")
  @SchemaFrom(type = IntOrString.class)
  private IdRef gid;

  @JsonPropertyDescription("True for a directory.")
  private Boolean directory;

  @JsonPropertyDescription("Target of a symbolic link; makes the entry a symlink.")
  @Size(min = 1, max = 4096)
  @ValidationRule(value = "!self.contains('\\x00')", message = "symlink must not contain NUL")
  private String symlink;

  // The fields below are left out of JSON when unset, so the input digest of an image that
  // doesn't use them stays what it was.
  @JsonPropertyDescription(
      "Take the contents from a file inside a Layer (LinuxKit's source, but never a path of the"
          + " machine that builds).")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  private FileSource source;

  @JsonPropertyDescription(
      "Write the image's own description into the file: the OSImage spec with each Layer pinned"
          + " by digest, as yaml or json.")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  private FileMetadata metadata;

  @JsonPropertyDescription(
      "With source: leave the file out when the Layer has no such file, instead of failing.")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  private Boolean optional;

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

  public IdRef getUid() {
    return uid;
  }

  public void setUid(IdRef uid) {
    this.uid = uid;
  }

  public IdRef getGid() {
    return gid;
  }

  public void setGid(IdRef gid) {
    this.gid = gid;
  }

  public boolean isOptional() {
    return Boolean.TRUE.equals(optional);
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
    if (uid != null) {
      uid.validate(field + ".uid");
    }
    if (gid != null) {
      gid.validate(field + ".gid");
    }
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
    if (source != null
        && (contents != null || metadata != null || symlink != null || isDirectory())) {
      throw invalid(
          field + ".source",
          "a file with a source has no contents, metadata, symlink or directory");
    }
    if (source != null) {
      source.validate(field + ".source");
    }
    if (metadata != null && (contents != null || symlink != null || isDirectory())) {
      throw invalid(field + ".metadata", "a metadata file has no contents, symlink or directory");
    }
    if (isOptional() && source == null) {
      throw invalid(field + ".optional", "optional is only allowed with a source");
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

  public FileSource getSource() {
    return source;
  }

  public void setSource(FileSource source) {
    this.source = source;
  }

  public FileMetadata getMetadata() {
    return metadata;
  }

  public void setMetadata(FileMetadata metadata) {
    this.metadata = metadata;
  }

  public Boolean getOptional() {
    return optional;
  }

  public void setOptional(Boolean optional) {
    this.optional = optional;
  }
}
