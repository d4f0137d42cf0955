import { test, expect } from "@playwright/test";
import { execSync } from "child_process";

test("lists orders", async ({ page }) => {
  execSync("docker compose up -d");
  await page.goto("/");
  await expect(page.locator("ul")).toBeVisible();
});
