package io.millrace.api.op;

import io.millrace.api.validate.Validated;

/** Holds an operation's name and request type so each action class is only its logic. */
public abstract class BaseOperation<Q extends Validated, R> implements Operation<Q, R> {

  private final String name;
  private final Class<Q> requestType;

  protected BaseOperation(String name, Class<Q> requestType) {
    this.name = name;
    this.requestType = requestType;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final Class<Q> requestType() {
    return requestType;
  }
}
