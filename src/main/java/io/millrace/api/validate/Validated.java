package io.millrace.api.validate;

/** A request shape that declares its members' constraints. */
public interface Validated {

  /** Reports every violated constraint to {@code v}, in member order. */
  void validate(Validator v);
}
