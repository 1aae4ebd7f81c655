package xenaudit.pipeline;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.endpoints.Endpoint;
import software.amazon.awssdk.services.s3.endpoints.S3EndpointParams;
import software.amazon.awssdk.services.s3.endpoints.S3EndpointProvider;

/**
 * The SDK's S3 endpoint rules, evaluated once per distinct set of parameters instead of once per
 * request: the rule engine is a pure function of {@link S3EndpointParams}, and it was a fifth of the
 * client's CPU per ranged GET. The key is every public accessor of the parameters (found by
 * reflection, so parameters a newer SDK adds are part of it too); failures are not cached.
 */
final class MemoizingS3EndpointProvider implements S3EndpointProvider {
  /** Distinct parameter sets kept (one per bucket and settings in practice); cleared when exceeded. */
  static final int MAX_ENTRIES = 1024;

  private static final Method[] PARAMS = accessors();

  private final S3EndpointProvider delegate;
  private final Map<List<Object>, Endpoint> cache = new ConcurrentHashMap<>();

  MemoizingS3EndpointProvider(S3EndpointProvider delegate) {
    this.delegate = delegate;
  }

  @Override
  public CompletableFuture<Endpoint> resolveEndpoint(S3EndpointParams params) {
    List<Object> key = key(params);
    if (key == null) {
      return delegate.resolveEndpoint(params);
    }
    Endpoint known = cache.get(key);
    if (known != null) {
      return CompletableFuture.completedFuture(known);
    }
    return delegate.resolveEndpoint(params).thenApply(endpoint -> {
      if (cache.size() >= MAX_ENTRIES) {
        cache.clear();
      }
      cache.put(key, endpoint);
      return endpoint;
    });
  }

  int size() {
    return cache.size();
  }

  /** Every parameter's value, in a fixed order; null (do not cache) if one cannot be read. */
  private static List<Object> key(S3EndpointParams params) {
    List<Object> key = new ArrayList<>(PARAMS.length);
    for (Method m : PARAMS) {
      try {
        key.add(m.invoke(params));
      } catch (ReflectiveOperationException | RuntimeException e) {
        return null;
      }
    }
    return key;
  }

  private static Method[] accessors() {
    return Arrays.stream(S3EndpointParams.class.getMethods())
        .filter(m -> m.getParameterCount() == 0 && !Modifier.isStatic(m.getModifiers()))
        .filter(m -> m.getDeclaringClass() == S3EndpointParams.class)
        .sorted(Comparator.comparing(Method::getName))
        .toArray(Method[]::new);
  }
}
