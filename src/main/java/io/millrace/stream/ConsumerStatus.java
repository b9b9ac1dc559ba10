package io.millrace.stream;

/** A registered stream consumer's lifecycle state, as AWS names it. */
public enum ConsumerStatus { CREATING, ACTIVE, DELETING }
