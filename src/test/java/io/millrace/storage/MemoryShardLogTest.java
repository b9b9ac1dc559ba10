package io.millrace.storage;

class MemoryShardLogTest extends ShardLogContractTest {

  @Override
  protected ShardLog createLog() {
    return new MemoryShardLog();
  }
}
