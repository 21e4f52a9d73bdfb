package dev.engagement.http;

import dev.engagement.avro.Ping;
import dev.engagement.generate.JsonLinesPings;
import dev.engagement.generate.Population;
import dev.engagement.generate.ReleaseTrains;
import dev.engagement.testing.AppProcess;
import dev.engagement.testing.Poll;
import dev.engagement.testing.TestData;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard in a real browser (Debian's headless Chromium, driven by Selenium) against
 * {@code demo --pings}: series per group, low-sample points marked with their counts in the tooltip,
 * state that round-trips through the URL; and the Releases view on a release-train population, its
 * comparison in words checked against {@code /v1/releases}.
 */
class DashboardIT {

    private static final LocalDate FIRST = LocalDate.of(2026, 9, 1);
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @TempDir
    Path dir;

    @Test
    void showsGroupsBandsLowSamplePointsAndKeepsItsStateInTheUrl() throws Exception {
        assertThat(CHROMIUM).as("Debian's chromium (.ci/run installs it)").exists();
        assertThat(CHROMEDRIVER).as("Debian's chromium-driver (.ci/run installs it)").exists();
        // 35 days, few clients: MAU below 100 in every (channel, os), so every ratio is low-sample.
        TestData data = new TestData(FIRST, 35, 250, 120, 9);
        Path pings = data.writeJsonLines(dir.resolve("pings.jsonl"));
        int port = AppProcess.freePort();
        try (AppProcess demo = AppProcess.start(dir.resolve("demo.log"), port, "demo", "--http-port", Integer.toString(port),
            "--pings", pings.toString(), "--data-dir", dir.resolve("data").toString(), "--dimensions", "channel,os")) {
            Poll.until("the file processed", Duration.ofSeconds(120), () -> {
                JsonNode s = demo.get("/v1/status").json();
                return s.path("feed").path("done").asBoolean()
                    && s.path("pings").path("total").asLong() == s.path("feed").path("produced").asLong();
            });
            WebDriver browser = browser();
            try {
                LocalDate last = FIRST.plusDays(34);
                browser.get("http://127.0.0.1:" + port + "/?from=" + FIRST + "&to=" + last + "&metric=er");
                JavascriptExecutor js = (JavascriptExecutor) browser;
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
                wait.until(d -> js.executeScript("return window.engagement && window.engagement.groups.length") != null);
                assertThat((Long) js.executeScript("return window.engagement.groups.length")).isEqualTo(1L); // "all"

                // A filter and a group-by, chosen in the page.
                new Select(browser.findElement(By.id("filter-os"))).selectByValue("Linux");
                new Select(browser.findElement(By.id("groupBy"))).selectByValue("channel");
                wait.until(d -> d.getCurrentUrl().contains("groupBy=channel") && d.getCurrentUrl().contains("os=Linux"));
                wait.until(d -> ((Long) js.executeScript("return window.engagement.groups.length")) > 1);

                // One series per channel that has Linux clients.
                long channels = data.pings.stream().filter(p -> "Linux".equals(p.getOs())).map(Ping::getChannel).distinct().count();
                assertThat((Long) js.executeScript("return window.engagement.groups.length")).isEqualTo(channels);
                assertThat(browser.findElement(By.id("mainTitle")).getText()).contains("Engagement ratio");

                // Low-sample points are drawn apart, and the tooltip gives the counts and says why.
                assertThat((Long) js.executeScript("return window.engagement.lowSamplePoints")).isPositive();
                js.executeScript("window.engagement.showTooltip(0, 30)");
                String tooltip = browser.findElement(By.id("tooltip")).getText();
                assertThat(tooltip).contains("low sample", "DAU", "MAU", last.minusDays(4).toString());

                // The state lives in the URL: change the metric, reload, and it is still there.
                new Select(browser.findElement(By.id("metric"))).selectByValue("dau");
                wait.until(d -> d.getCurrentUrl().contains("metric=dau"));
                assertThat(browser.getCurrentUrl()).contains("groupBy=channel", "os=Linux", "from=" + FIRST);
                browser.navigate().refresh();
                wait.until(d -> js.executeScript("return window.engagement && window.engagement.groups.length") != null);
                assertThat(new Select(browser.findElement(By.id("metric"))).getFirstSelectedOption().getAttribute("value"))
                    .isEqualTo("dau");
                assertThat(new Select(browser.findElement(By.id("groupBy"))).getFirstSelectedOption().getAttribute("value"))
                    .isEqualTo("channel");
                assertThat(new Select(browser.findElement(By.id("filter-os"))).getAllSelectedOptions())
                    .extracting(e -> e.getAttribute("value")).containsExactly("Linux");
                assertThat(browser.findElement(By.id("mainTitle")).getText()).contains("Daily active");

                // An API error is shown as a message, not as a blank chart.
                browser.get("http://127.0.0.1:" + port + "/?from=" + last + "&to=" + FIRST + "&metric=er");
                wait.until(d -> d.findElement(By.id("error")).isDisplayed());
                assertThat(browser.findElement(By.id("error")).getText()).contains("is after");

                // The link to the Releases view carries the filters.
                browser.get("http://127.0.0.1:" + port + "/?from=" + FIRST + "&to=" + last + "&metric=er&os=Linux");
                wait.until(d -> js.executeScript("return window.engagement && window.engagement.groups.length") != null);
                assertThat(browser.findElement(By.id("releasesLink")).getAttribute("href")).endsWith("/ui/releases.html?os=Linux");
            } finally {
                browser.quit();
            }
        }
    }

    @Test
    void theReleasesViewShowsVersionsByAgeAndTheComparisonInWordsAndKeepsItsStateInTheUrl() throws Exception {
        assertThat(CHROMIUM).as("Debian's chromium (.ci/run installs it)").exists();
        LocalDate last = LocalDate.of(2026, 10, 31);
        int days = 90;
        ReleaseTrains trains = new ReleaseTrains(28, ReleaseTrains.NEWEST, 0.5);
        Population population = new Population(3000, last.minusDays(days - 1), days, 3, trains);
        Path pings = dir.resolve("pings.jsonl");
        try (BufferedWriter out = Files.newBufferedWriter(pings)) {
            for (int d = days - 1; d >= 0; d--) {
                population.day(last.minusDays(d), Long.MIN_VALUE, Long.MAX_VALUE, ping -> {
                    try {
                        out.write(JsonLinesPings.toJson(ping));
                        out.newLine();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
        // The three newest releases on the last day, newest first, as the view picks them by default.
        String newest = trains.release(last);
        int major = Integer.parseInt(newest.substring(0, newest.indexOf('.')));
        List<String> releases = List.of(newest, (major - 1) + ".0", (major - 2) + ".0");
        int port = AppProcess.freePort();
        try (AppProcess demo = AppProcess.start(dir.resolve("demo.log"), port, "demo", "--http-port", Integer.toString(port),
            "--pings", pings.toString(), "--data-dir", dir.resolve("data").toString(),
            "--dimensions", "channel,os,country,app_version")) {
            Poll.until("the file processed", Duration.ofSeconds(180), () -> {
                JsonNode s = demo.get("/v1/status").json();
                return s.path("feed").path("done").asBoolean()
                    && s.path("pings").path("total").asLong() == s.path("feed").path("produced").asLong();
            });
            // Days close on the fold's next punctuation after the last ping: wait until the answer
            // (its complete days, hence the comparison's default age) has settled.
            JsonNode expected = Poll.stable("the releases answer", Duration.ofSeconds(60), Duration.ofSeconds(3), () -> {
                ObjectNode answer = (ObjectNode) demo.get("/v1/releases?versions=" + String.join(",", releases)
                    + "&ages=0..27&metrics=er,er_smoothed,dau,uptake").json();
                answer.remove("tookMs");
                return answer;
            });
            WebDriver browser = browser();
            try {
                String base = "http://127.0.0.1:" + port + "/ui/releases.html";
                browser.get(base);
                JavascriptExecutor js = (JavascriptExecutor) browser;
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
                wait.until(d -> js.executeScript("return window.releases && window.releases.versions") != null);
                assertThat(browser.getCurrentUrl()).contains("versions=" + String.join("%2C", releases), "ages=0..27",
                    "metric=er");
                // One line per version, in release-day order, as the endpoint lists them.
                List<String> inOrder = new ArrayList<>();
                expected.path("versions").forEach(v -> inOrder.add(v.path("version").asText()));
                assertThat(inOrder).containsExactlyInAnyOrderElementsOf(releases);
                assertThat(js.executeScript("return window.releases.versions")).isEqualTo(inOrder);
                assertThat((Long) js.executeScript("return window.releases.points")).isPositive();

                // The comparison in words: the endpoint's numbers, direction and verdict.
                JsonNode c = expected.path("comparison");
                JsonNode er = c.path("metrics").path("er");
                String sentence = browser.findElement(By.cssSelector("#comparison p[data-metric=er]")).getText();
                double difference = er.path("difference").path("estimate").asDouble();
                assertThat(sentence).startsWith(c.path("newer").path("version").asText() + " at day " + c.path("age").asInt()
                    + ": ER " + String.format(Locale.ROOT, "%.3f", er.path("newer").path("estimate").asDouble()) + " [");
                assertThat(sentence).contains(" vs " + c.path("older").path("version").asText() + " at day " + c.path("age").asInt()
                    + ": " + String.format(Locale.ROOT, "%.3f", er.path("older").path("estimate").asDouble()),
                    (difference < 0 ? "; lower by " : "; higher by ")
                        + String.format(Locale.ROOT, "%.3f", Math.abs(difference)) + " ± ");
                assertThat(sentence).endsWith(er.path("significant").asBoolean() ? ", significant" : ", not significant");
                assertThat(browser.findElements(By.cssSelector("#comparison p"))).hasSize(4); // ER, smoothed ER, DAU, uptake

                // Metric and filter chosen in the page; a small country's DAU is low-sample, and the tooltip says so.
                new Select(browser.findElement(By.id("metric"))).selectByValue("dau");
                new Select(browser.findElement(By.id("filter-country"))).selectByValue("PL");
                wait.until(d -> d.getCurrentUrl().contains("metric=dau") && d.getCurrentUrl().contains("country=PL"));
                wait.until(d -> "dau".equals(js.executeScript("return window.releases.metric"))
                    && ((Long) js.executeScript("return window.releases.lowSamplePoints")) > 0);
                assertThat(browser.findElement(By.id("mainTitle")).getText()).contains("Daily active", "days since release");
                js.executeScript("window.releases.showTooltip(0)");
                assertThat(browser.findElement(By.id("tooltip")).getText()).contains("day 0 since release", "low sample");

                // The state lives in the URL: reload, and the metric, filter and versions are still chosen.
                new Select(browser.findElement(By.id("metric"))).selectByValue("uptake");
                wait.until(d -> d.getCurrentUrl().contains("metric=uptake"));
                browser.navigate().refresh();
                wait.until(d -> "uptake".equals(js.executeScript("return window.releases && window.releases.metric")));
                assertThat(new Select(browser.findElement(By.id("filter-country"))).getAllSelectedOptions())
                    .extracting(e -> e.getAttribute("value")).containsExactly("PL");
                assertThat(new Select(browser.findElement(By.id("versions"))).getAllSelectedOptions())
                    .extracting(e -> e.getAttribute("value")).containsExactlyElementsOf(releases);
                assertThat(browser.findElement(By.id("mainTitle")).getText()).contains("Uptake");
                assertThat(browser.findElement(By.id("overTimeLink")).getAttribute("href")).endsWith("/?country=PL");

                // An API error is shown as a message.
                browser.get(base + "?versions=" + releases.get(0) + ",9.9&ages=0..27");
                wait.until(d -> d.findElement(By.id("error")).isDisplayed());
                assertThat(browser.findElement(By.id("error")).getText()).contains("9.9");

                browser.get(base);
                wait.until(d -> js.executeScript("return window.releases && window.releases.versions") != null);
                File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
                Files.copy(shot.toPath(), Path.of("target", "releases.png"), StandardCopyOption.REPLACE_EXISTING);
            } finally {
                browser.quit();
            }
        }
    }

    private WebDriver browser() throws Exception {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--window-size=1280,1100", "--user-data-dir=" + Files.createDirectories(dir.resolve("chrome")));
        ChromeDriverService service = new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }
}
