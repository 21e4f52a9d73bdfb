package dev.engagement.http;

import dev.engagement.avro.Ping;
import dev.engagement.testing.AppProcess;
import dev.engagement.testing.Poll;
import dev.engagement.testing.TestData;

import com.fasterxml.jackson.databind.JsonNode;

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

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard in a real browser (Debian's headless Chromium, driven by Selenium) against
 * {@code demo --pings}: series per group, low-sample points marked with their counts in the tooltip,
 * state that round-trips through the URL, and a screenshot ({@code target/dashboard.png}).
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

                browser.get("http://127.0.0.1:" + port + "/?from=" + FIRST + "&to=" + last + "&metric=er&groupBy=channel");
                wait.until(d -> js.executeScript("return window.engagement && window.engagement.groups.length") != null);
                File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
                Files.copy(shot.toPath(), Path.of("target", "dashboard.png"), StandardCopyOption.REPLACE_EXISTING);
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
