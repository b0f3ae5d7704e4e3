package dev.codi.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;

/**
 * A tiny inventory JSON API on the JDK's built-in HTTP server (no dependencies).
 *
 * <p>Routes: {@code GET /healthz} and {@code GET /items}. Listens on {@code $PORT} (default 8080).
 */
public final class InventoryServer {
    static final String VERSION = "1.0.0";

    private static final Map<String, Integer> STOCK = new TreeMap<>(Map.of(
            "apples", 12,
            "bananas", 7,
            "cherries", 150));

    private InventoryServer() {
    }

    public static void main(String[] args) throws IOException {
        String host = System.getenv().getOrDefault("HOST", "0.0.0.0");
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));

        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.createContext("/healthz", exchange ->
                send(exchange, 200, "{\"status\": \"ok\", \"version\": \"" + VERSION + "\"}"));
        server.createContext("/items", exchange -> send(exchange, 200, itemsJson()));
        server.createContext("/", exchange -> send(exchange, 404, "{\"error\": \"not found\"}"));
        server.setExecutor(Executors.newFixedThreadPool(4));

        // `docker stop` sends SIGTERM: give open requests a second, then exit.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(1)));
        server.start();
        System.out.println("inventory-api listening on http://" + host + ":" + server.getAddress().getPort());
    }

    static String itemsJson() {
        StringBuilder json = new StringBuilder("[");
        for (Map.Entry<String, Integer> item : STOCK.entrySet()) {
            if (json.length() > 1) {
                json.append(", ");
            }
            json.append("{\"name\": \"").append(item.getKey())
                    .append("\", \"quantity\": ").append(item.getValue()).append('}');
        }
        return json.append(']').toString();
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if ("GET".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } else {
            exchange.sendResponseHeaders(405, -1);
            exchange.close();
        }
    }
}
