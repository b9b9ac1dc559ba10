package io.millrace.compat;

import io.millrace.testing.TestServer;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ListStreamsRequest;
import software.amazon.awssdk.services.kinesis.model.ListStreamsResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.awssdk.utils.AttributeMap;

/**
 * One AWS SDK v2 Kinesis client in a given {@link Flavor}, seen through the blocking {@link KinesisClient} interface
 * so one test body serves all four flavors. For the async flavors, {@link #kinesis()} is a proxy that calls the
 * {@link KinesisAsyncClient} method of the same name and joins its future, rethrowing the SDK's own exception (not
 * the {@link CompletionException} around it). Every request's and response's Content-Type is recorded so tests can
 * check the wire format really used.
 */
public final class CompatClient implements AutoCloseable {

  /** The account the server assumes for a non-numeric access key. */
  public static final String ACCOUNT = "000000000000";
  public static final String REGION = "us-east-1";

  private final Flavor flavor;
  private final KinesisClient sync;
  private final KinesisAsyncClient async;
  private final KinesisClient kinesis;
  private final WireRecorder recorder;
  private TestServer ownedServer;

  private CompatClient(Flavor flavor, KinesisClient sync, KinesisAsyncClient async, WireRecorder recorder) {
    this.flavor = flavor;
    this.sync = sync;
    this.async = async;
    this.recorder = recorder;
    this.kinesis = sync != null ? sync : blocking(async);
  }

  /**
   * Builds a client of {@code flavor} for {@code endpoint}. The SDK reads {@code aws.cborEnabled} when a client is
   * built, so the property is set (or cleared) around the build and restored afterwards.
   */
  public static CompatClient connect(URI endpoint, Flavor flavor) {
    return connect(endpoint, flavor, AwsBasicCredentials.create("AKIDCOMPAT", "compat-secret"));
  }

  /**
   * As {@link #connect(URI, Flavor)}, signing with {@code signingAs}; an {@code https} endpoint's certificate is
   * trusted whatever it is (a test server's self-signed one).
   */
  public static CompatClient connect(URI endpoint, Flavor flavor, AwsCredentials signingAs) {
    WireRecorder recorder = new WireRecorder();
    AttributeMap http = endpoint.getScheme().equals("https") ? AttributeMap.builder()
        .put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, true).build() : AttributeMap.empty();
    String before = System.getProperty("aws.cborEnabled");
    if (flavor.cbor()) {
      System.clearProperty("aws.cborEnabled");
    } else {
      System.setProperty("aws.cborEnabled", "false");
    }
    try {
      StaticCredentialsProvider credentials = StaticCredentialsProvider.create(signingAs);
      if (flavor.async()) {
        KinesisAsyncClient async = KinesisAsyncClient.builder()
            .endpointOverride(endpoint)
            .region(Region.US_EAST_1)
            .credentialsProvider(credentials)
            .httpClientBuilder(serviceDefaults -> NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2)
                .buildWithDefaults(serviceDefaults.merge(http)))
            .overrideConfiguration(o -> o.addExecutionInterceptor(recorder)
                .retryStrategy(AwsRetryStrategy.doNotRetry())
                .apiCallTimeout(Duration.ofSeconds(30)))
            .build();
        return new CompatClient(flavor, null, async, recorder);
      }
      KinesisClient sync = KinesisClient.builder()
          .endpointOverride(endpoint)
          .region(Region.US_EAST_1)
          .credentialsProvider(credentials)
          .httpClientBuilder(serviceDefaults -> UrlConnectionHttpClient.builder()
              .buildWithDefaults(serviceDefaults.merge(http)))
          .overrideConfiguration(o -> o.addExecutionInterceptor(recorder)
              .retryStrategy(AwsRetryStrategy.doNotRetry())
              .apiCallTimeout(Duration.ofSeconds(30)))
          .build();
      return new CompatClient(flavor, sync, null, recorder);
    } finally {
      if (before == null) {
        System.clearProperty("aws.cborEnabled");
      } else {
        System.setProperty("aws.cborEnabled", before);
      }
    }
  }

  public Flavor flavor() {
    return flavor;
  }

  /** The client to call: the real sync client, or a blocking view of the async one. */
  public KinesisClient kinesis() {
    return kinesis;
  }

  /** The Content-Type of the last request sent. */
  public String lastRequestContentType() {
    return recorder.requestTypes.isEmpty() ? null : recorder.requestTypes.get(recorder.requestTypes.size() - 1);
  }

  /** The Content-Type of the last response received. */
  public String lastResponseContentType() {
    return recorder.responseTypes.isEmpty() ? null : recorder.responseTypes.get(recorder.responseTypes.size() - 1);
  }

  /**
   * Every page the SDK's own ListStreams paginator fetches: {@code ListStreamsIterable} for the sync client,
   * {@code ListStreamsPublisher} for the async one.
   */
  public List<ListStreamsResponse> listStreamsPages(ListStreamsRequest request) {
    if (sync != null) {
      return sync.listStreamsPaginator(request).stream().toList();
    }
    List<ListStreamsResponse> pages = new CopyOnWriteArrayList<>();
    async.listStreamsPaginator(request).subscribe(pages::add).join();
    return new ArrayList<>(pages);
  }

  /** Polls DescribeStreamSummary until the stream is ACTIVE (streams start in CREATING). */
  public void awaitActive(String streamName) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      StreamStatus status = kinesis.describeStreamSummary(r -> r.streamName(streamName))
          .streamDescriptionSummary().streamStatus();
      if (status == StreamStatus.ACTIVE) {
        return;
      }
      pause(deadline, streamName + " stayed " + status);
    }
  }

  /** Polls DescribeStreamSummary until the stream is gone (DeleteStream leaves it DELETING for a moment). */
  public void awaitGone(String streamName) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try {
        kinesis.describeStreamSummary(r -> r.streamName(streamName));
      } catch (ResourceNotFoundException e) {
        return;
      }
      pause(deadline, streamName + " was not deleted");
    }
  }

  /** Creates a PROVISIONED stream and waits for it to be ACTIVE. */
  public void createActiveStream(String streamName, int shards) {
    kinesis.createStream(r -> r.streamName(streamName).shardCount(shards));
    awaitActive(streamName);
  }

  private static void pause(long deadlineNanos, String failure) {
    if (System.nanoTime() > deadlineNanos) {
      throw new AssertionError(failure + " after 10 s");
    }
    try {
      Thread.sleep(5); // polling the API is the only way to observe the transition, as with the SDK's waiters
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  @Override
  public void close() {
    kinesis.close();
    if (ownedServer != null) {
      ownedServer.close();
    }
  }

  /** Starts an in-process server with {@code settings} and a client of {@code flavor} for it; closing closes both. */
  public static CompatClient withServer(Flavor flavor, Map<String, String> settings, Clock clock) {
    TestServer server = TestServer.start(settings, clock);
    CompatClient client = connect(server.endpoint(), flavor);
    client.ownedServer = server;
    return client;
  }

  public static CompatClient withServer(Flavor flavor) {
    return withServer(flavor, Map.of(), Clock.systemUTC());
  }

  /** A {@link KinesisClient} whose calls go to {@code async} and wait for the answer. */
  private static KinesisClient blocking(KinesisAsyncClient async) {
    InvocationHandler handler = (proxy, method, args) -> {
      Class<?>[] types = method.getParameterTypes();
      if (method.getName().equals("close") && types.length == 0) {
        async.close();
        return null;
      }
      if (types.length == 1 && SdkRequest.class.isAssignableFrom(types[0])
          && SdkResponse.class.isAssignableFrom(method.getReturnType())) {
        Method target = KinesisAsyncClient.class.getMethod(method.getName(), types);
        CompletableFuture<?> answer;
        try {
          answer = (CompletableFuture<?>) target.invoke(async, args);
        } catch (InvocationTargetException e) {
          throw e.getCause();
        }
        try {
          return answer.join();
        } catch (CompletionException e) {
          throw e.getCause();
        }
      }
      if (method.getDeclaringClass() == Object.class) {
        return switch (method.getName()) {
          case "equals" -> proxy == args[0];
          case "hashCode" -> System.identityHashCode(proxy);
          default -> "blocking view of " + async;
        };
      }
      if (method.isDefault()) {
        return InvocationHandler.invokeDefault(proxy, method, args);
      }
      throw new UnsupportedOperationException("not bridged to the async client: " + method);
    };
    return (KinesisClient) Proxy.newProxyInstance(CompatClient.class.getClassLoader(),
        new Class<?>[] {KinesisClient.class}, handler);
  }

  /** Records the Content-Type of every request and response. */
  private static final class WireRecorder implements ExecutionInterceptor {
    final List<String> requestTypes = new CopyOnWriteArrayList<>();
    final List<String> responseTypes = new CopyOnWriteArrayList<>();

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
      requestTypes.add(context.httpRequest().firstMatchingHeader("Content-Type").orElse("(none)"));
    }

    @Override
    public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
      responseTypes.add(context.httpResponse().firstMatchingHeader("Content-Type").orElse("(none)"));
    }
  }
}
