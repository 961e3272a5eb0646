package dev.lamina.api;

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
  /** Path inside the image, relative to its root, without '..'. */
  @Required
  @Size(min = 1, max = 4096)
  @ValidationRule(
      value = "!self.startsWith('/') && !self.matches('(^|/)[.][.](/|$)')",
      message = "path must be relative to the image root and must not contain '..'")
  private String path;

  /** Contents of a regular file (UTF-8 text). */
  @Size(max = 1048576)
  private String contents;

  /** Permission bits in octal, e.g. "0644"; default 0644 for files, 0755 for directories. */
  @Pattern("^0?[0-7]{3,4}$")
  private String mode;

  /** Owner user id; default 0. */
  @Min(0)
  @Max(4294967294.0)
  private Long uid;

  /** Owner group id; default 0. */
  @Min(0)
  @Max(4294967294.0)
  private Long gid;

  /** True for a directory. */
  private Boolean directory;

  /** Target of a symbolic link; makes the entry a symlink. */
  @Size(min = 1, max = 4096)
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
      return Integer.parseInt(mode, 8);
    }
    if (symlink != null) {
      return 0777;
    }
    return isDirectory() ? 0755 : 0644;
  }
}
