package dev.oms.api.http;

import java.util.Collections;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;

import io.helidon.http.Method;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRoute;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;

/**
 * Every route the API serves, as {@code "GET /orders/{id}"}, noted as it is registered. Helidon
 * does not list its routes, so the routing is registered through {@link #rules}: each route goes
 * on to Helidon and is noted here in the same call, which makes this list the routing itself
 * rather than a copy kept beside it (OpenApiTest holds /openapi to it, both ways).
 *
 * <p>Only routes with a method and a path template can be noted. One registered any other way (a
 * bare {@link HttpRoute}, a method predicate, no path) is refused when the routing is built, rather
 * than served unlisted; {@code any(handler)} without a path is the fallback for what no route
 * matches and is not a route.
 *
 * <p>Threads: Helidon may build the routing on another thread than the one that registers it.
 */
public final class RouteTable {
    private final Set<String> routes = new ConcurrentSkipListSet<>();

    /** Rules that register on {@code routing} and note each route. */
    public HttpRules rules(HttpRules routing) {
        return new Noting(routing, "");
    }

    /**
     * The routes registered so far, sorted: {@code "METHOD /path/{param}"}, as OpenAPI writes
     * them (Helidon's {@code {+name}}, a parameter that may hold a slash, is {@code {name}}).
     */
    public SortedSet<String> routes() {
        SortedSet<String> sorted = new TreeSet<>();
        routes.forEach(route -> sorted.add(route.replace("{+", "{")));
        return Collections.unmodifiableSortedSet(sorted);
    }

    /**
     * The methods that routes serve at {@code path}, sorted; empty when no route has the path. For
     * the answer to a method no route takes there: 405 with {@code Allow}, not 404.
     */
    public SortedSet<String> methodsAt(io.helidon.common.uri.UriPath path) {
        SortedSet<String> methods = new TreeSet<>();
        for (String route : routes) {
            int space = route.indexOf(' ');
            String method = route.substring(0, space);
            if (!method.equals("ANY") && matchers.computeIfAbsent(route.substring(space + 1), io.helidon.http.PathMatchers::create)
                    .match(path).accepted()) {
                methods.add(method);
            }
        }
        return methods;
    }

    private final java.util.Map<String, io.helidon.http.PathMatcher> matchers = new java.util.concurrent.ConcurrentHashMap<>();

    private static String join(String prefix, String path) {
        String base = prefix.equals("/") ? "" : prefix;
        String joined = path.equals("/") || path.isEmpty() ? base : base + path;
        return joined.isEmpty() ? "/" : joined;
    }

    private final class Noting implements HttpRules {
        private final HttpRules routing;
        private final String prefix;

        Noting(HttpRules routing, String prefix) {
            this.routing = routing;
            this.prefix = prefix;
        }

        @Override
        public HttpRules register(HttpService... services) {
            routing.register(noting(prefix, services));
            return this;
        }

        @Override
        public HttpRules register(String path, HttpService... services) {
            routing.register(path, noting(join(prefix, path), services));
            return this;
        }

        @Override
        public HttpRules route(Method method, String pathPattern, Handler handler) {
            routes.add(method.text() + " " + join(prefix, pathPattern));
            routing.route(method, pathPattern, handler);
            return this;
        }

        @Override
        public HttpRules any(String pathPattern, Handler... handlers) {
            routes.add("ANY " + join(prefix, pathPattern));
            routing.any(pathPattern, handlers);
            return this;
        }

        @Override
        public HttpRules any(Handler... handlers) {
            routing.any(handlers);
            return this;
        }

        @Override
        public HttpRules route(HttpRoute route) {
            throw new UnsupportedOperationException("register routes with a method and a path (get, post…) so that "
                    + "RouteTable lists them; got " + route + " under '" + prefix + "'");
        }

        /** Each service, registering its routes through rules that note them under {@code path}. */
        private HttpService[] noting(String path, HttpService... services) {
            HttpService[] wrapped = new HttpService[services.length];
            for (int i = 0; i < services.length; i++) {
                HttpService service = services[i];
                wrapped[i] = new HttpService() {
                    @Override
                    public void routing(HttpRules rules) {
                        service.routing(new Noting(rules, path));
                    }

                    @Override
                    public void beforeStart() {
                        service.beforeStart();
                    }

                    @Override
                    public void afterStart(io.helidon.webserver.WebServer webServer) {
                        service.afterStart(webServer);
                    }

                    @Override
                    public void afterStop() {
                        service.afterStop();
                    }
                };
            }
            return wrapped;
        }
    }
}
