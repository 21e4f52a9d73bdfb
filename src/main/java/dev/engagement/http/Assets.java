package dev.engagement.http;

import java.io.IOException;
import java.io.InputStream;

/** The dashboard's files, read from the jar: its pages, scripts and style, and uPlot's WebJar. */
final class Assets {

    /** uPlot's WebJar version (as in the pom). */
    static final String UPLOT_VERSION = "1.6.30";

    /** A file and its content type. */
    record Asset(byte[] body, String contentType) {
    }

    private Assets() {
    }

    /** Whether the path names a dashboard file: {@code /}, {@code /ui/...} or {@code /webjars/uplot/...}. */
    static boolean isAsset(String path) {
        return path.equals("/") || path.startsWith("/ui/") || path.startsWith("/webjars/uplot/");
    }

    /** The file a dashboard path names, or null when there is none (or the path climbs out). */
    static Asset find(String path) throws IOException {
        String resource;
        if (path.equals("/")) {
            resource = "web/index.html";
        } else if (path.startsWith("/ui/")) {
            resource = "web/" + path.substring("/ui/".length());
        } else {
            resource = "META-INF/resources/webjars/uplot/" + UPLOT_VERSION + "/" + path.substring("/webjars/uplot/".length());
        }
        if (resource.contains("..") || resource.contains("//")) {
            return null;
        }
        byte[] body;
        try (InputStream in = Assets.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            body = in.readAllBytes();
        }
        String type = resource.endsWith(".html") ? "text/html; charset=utf-8"
            : resource.endsWith(".js") ? "text/javascript; charset=utf-8"
            : resource.endsWith(".css") ? "text/css; charset=utf-8" : "application/octet-stream";
        return new Asset(body, type);
    }
}
