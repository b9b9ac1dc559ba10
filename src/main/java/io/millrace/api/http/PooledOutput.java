package io.millrace.api.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.io.OutputStream;

/**
 * Where an answer's body is serialized: pooled direct memory in pieces of at most 64 KiB, never one large array. A
 * GetRecords answer of 10,000 records is about 14 MB; as a byte array it was built twice on the heap (Jackson's
 * segments, then the array) and copied a third time into direct memory for the socket, and with a bounded heap
 * those large arrays drove the collector. The pieces go to the socket as they are ({@link #finish()}), and are given
 * back to the pool once written ({@link Answers#ok}).
 *
 * <p>Not thread-safe: one answer, on its event loop.
 */
final class PooledOutput extends OutputStream {

  private static final int FIRST_PIECE_BYTES = 4 * 1024;
  private static final int PIECE_BYTES = 64 * 1024;

  private final ByteBufAllocator allocator;
  private final CompositeByteBuf pieces;
  private ByteBuf current;

  PooledOutput(ByteBufAllocator allocator) {
    this.allocator = allocator;
    this.pieces = allocator.compositeDirectBuffer(Integer.MAX_VALUE);
  }

  @Override
  public void write(int b) {
    room().writeByte(b);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) {
    while (length > 0) {
      ByteBuf piece = room();
      int n = Math.min(length, piece.writableBytes());
      piece.writeBytes(bytes, offset, n);
      offset += n;
      length -= n;
    }
  }

  /** The piece being written, with room for at least one byte. */
  private ByteBuf room() {
    if (current == null || !current.isWritable()) {
      if (current != null) {
        pieces.addComponent(true, current);
      }
      int size = current == null && pieces.numComponents() == 0 ? FIRST_PIECE_BYTES : PIECE_BYTES;
      current = allocator.directBuffer(size, size);
    }
    return current;
  }

  /** The body written, handed over: the caller releases it. */
  ByteBuf finish() {
    if (current != null) {
      pieces.addComponent(true, current);
      current = null;
    }
    return pieces;
  }

  /** Gives everything back to the pool (the answer failed before it was handed over). */
  void discard() {
    if (current != null) {
      current.release();
      current = null;
    }
    pieces.release();
  }
}
