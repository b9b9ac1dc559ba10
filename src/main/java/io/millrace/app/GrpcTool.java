package io.millrace.app;

import com.google.protobuf.ByteString;
import io.millrace.grpc.v1.CreateStreamRequest;
import io.millrace.grpc.v1.DescribeStreamRequest;
import io.millrace.grpc.v1.MillraceGrpcClient;
import io.millrace.grpc.v1.Position;
import io.millrace.grpc.v1.ProduceRequest;
import io.millrace.grpc.v1.ProduceResult;
import io.millrace.grpc.v1.Record;
import io.millrace.grpc.v1.StreamRef;
import io.millrace.grpc.v1.SubscribeRequest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small client of Millrace's gRPC API, and an example of Vert.x's gRPC client with the generated method
 * descriptors ({@code io.millrace.grpc.v1.MillraceGrpcClient}); an error's AWS type is in the call's metadata
 * ({@code aws-error-type}), its message in the status:
 * <pre>
 *   java -cp target/millrace.jar io.millrace.app.GrpcTool [--endpoint host:port] create-stream NAME SHARDS
 *   java -cp target/millrace.jar io.millrace.app.GrpcTool [--endpoint host:port] produce STREAM KEY DATA...
 *   java -cp target/millrace.jar io.millrace.app.GrpcTool [--endpoint host:port] subscribe STREAM SHARD [COUNT]
 * </pre>
 * {@code create-stream} waits until the stream is ACTIVE; {@code produce} puts one record per DATA and prints each
 * one's shard and sequence number; {@code subscribe} prints each record's data, one line each, from the shard's
 * start, and stops after COUNT records (or runs until interrupted). An error prints the AWS error and exits 1.
 */
public final class GrpcTool {

  private static final long WAIT_SECONDS = 60;

  private final GrpcClient client;
  private final SocketAddress server;

  private GrpcTool(GrpcClient client, SocketAddress server) {
    this.client = client;
    this.server = server;
  }

  public static void main(String[] args) throws Exception {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    String endpoint = "127.0.0.1:4567";
    if (rest.size() >= 2 && rest.get(0).equals("--endpoint")) {
      endpoint = rest.get(1);
      rest = rest.subList(2, rest.size());
    }
    if (rest.isEmpty()) {
      usage();
      return;
    }
    int colon = endpoint.lastIndexOf(':');
    SocketAddress server = SocketAddress.inetSocketAddress(Integer.parseInt(endpoint.substring(colon + 1)),
        endpoint.substring(0, colon));
    Vertx vertx = Vertx.vertx();
    GrpcClient client = GrpcClient.client(vertx);
    int exit = 0;
    try {
      new GrpcTool(client, server).run(rest);
    } catch (IllegalArgumentException e) {
      usage();
      exit = 2;
    } catch (RuntimeException e) {
      System.err.println(e.getMessage());
      exit = 1;
    } finally {
      client.close().await();
      vertx.close().await();
    }
    System.exit(exit);
  }

  private void run(List<String> args) throws Exception {
    switch (args.get(0)) {
      case "create-stream" -> {
        require(args, 3);
        String name = args.get(1);
        System.out.println(await(unary(MillraceGrpcClient.CreateStream, CreateStreamRequest.newBuilder().setName(name)
            .setShardCount(Integer.parseInt(args.get(2))).build())).getArn());
        DescribeStreamRequest describe = DescribeStreamRequest.newBuilder().setStream(stream(name)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!await(unary(MillraceGrpcClient.DescribeStream, describe)).getStatus().equals("ACTIVE")) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("Stream " + name + " was not ACTIVE after " + WAIT_SECONDS + " s.");
          }
          Thread.sleep(100); // a command-line tool polling a status, as the AWS CLI's waiters do
        }
      }
      case "produce" -> {
        require(args, 4);
        ProduceRequest.Builder batch = ProduceRequest.newBuilder().setStream(stream(args.get(1)));
        for (String data : args.subList(3, args.size())) {
          batch.addRecords(Record.newBuilder().setPartitionKey(args.get(2)).setData(ByteString.copyFromUtf8(data)));
        }
        for (ProduceResult r : await(unary(MillraceGrpcClient.Produce, batch.build())).getResultsList()) {
          System.out.println(r.getErrorCode().isEmpty() ? r.getShardId() + " " + r.getSequenceNumber()
              : r.getErrorCode() + ": " + r.getErrorMessage());
        }
      }
      case "subscribe" -> {
        require(args, 3);
        long count = args.size() > 3 ? Long.parseLong(args.get(3)) : Long.MAX_VALUE;
        subscribe(args.get(1), args.get(2), count);
      }
      default -> throw new IllegalArgumentException(args.get(0));
    }
  }

  /** One request, one answer; a failed call fails with its AWS error. */
  private <Q, R> Future<R> unary(ServiceMethod<R, Q> method, Q request) {
    return client.request(server, method).compose(call -> call.end(request).compose(v -> call.response()))
        .compose(response -> response.last().recover(e -> Future.failedFuture(awsError(response, e))));
  }

  /** Prints records as they are pushed until {@code count} have come; fails if the subscription fails. */
  private void subscribe(String stream, String shard, long count) {
    SubscribeRequest request = SubscribeRequest.newBuilder().setStream(stream(stream)).setShardId(shard)
        .setPosition(Position.newBuilder().setTrimHorizon(true)).build();
    Promise<Void> done = Promise.promise();
    long[] seen = {0};
    await(client.request(server, MillraceGrpcClient.Subscribe)
        .compose(call -> call.end(request).compose(v -> call.response()).map(events -> events
            .handler(event -> event.getRecordsList().forEach(r -> {
              if (seen[0]++ < count) {
                System.out.println(r.getData().toString(StandardCharsets.UTF_8));
              }
              if (seen[0] >= count) {
                done.tryComplete();
                call.cancel();
              }
            }))
            .exceptionHandler(e -> done.tryFail(awsError(events, e)))
            .endHandler(v -> {
              if (events.status() == GrpcStatus.OK) {
                done.tryComplete();
              } else {
                done.tryFail(awsError(events, null));
              }
            }))));
    await(done.future());
  }

  /** The AWS error a failed call's metadata names (a trailers-only answer carries it in its headers). */
  private static RuntimeException awsError(GrpcClientResponse<?, ?> response, Throwable cause) {
    String type = metadata(response, "aws-error-type");
    String message = response.statusMessage();
    if (type == null) {
      return new IllegalStateException("The call failed: " + (response.status() != null ? response.status()
          : cause), cause);
    }
    return new IllegalStateException(type + ": " + message, cause);
  }

  private static String metadata(GrpcClientResponse<?, ?> response, String name) {
    String trailer = response.trailers() == null ? null : response.trailers().get(name);
    return trailer != null ? trailer : response.headers().get(name);
  }

  private static StreamRef stream(String name) {
    return StreamRef.newBuilder().setName(name).build();
  }

  private static void require(List<String> args, int count) {
    if (args.size() < count) {
      throw new IllegalArgumentException("too few arguments");
    }
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.await(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("No answer from Millrace within " + WAIT_SECONDS + " s.", e);
    }
  }

  private static void usage() {
    System.err.println("""
        usage: GrpcTool [--endpoint host:port] create-stream NAME SHARDS
               GrpcTool [--endpoint host:port] produce STREAM KEY DATA...
               GrpcTool [--endpoint host:port] subscribe STREAM SHARD [COUNT]""");
  }
}
