"""How NoticeSpider reads a failed request: a list page (the end of a numbered column, or a
failed walk), a detail page (transient or permanent, robots, a decompression bomb), and the one
line that names why. A mixin so the spider's walk (base.py) stays readable."""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from policytrack.crawler.middlewares import Blocked
from policytrack.crawler.spiders.downloads import describe, transient_status
from policytrack.crawler.state import url_key

ROBOTS = "Forbidden by robots.txt"


class FailureHandling:
    """Errbacks of NoticeSpider (needs its note/fail/refusal/state/run/_walk)."""

    def list_failed(self, failure):
        request = failure.request
        column = request.meta.get("column", "")
        status = failure.value.response.status if failure.check(HttpError) else None
        if status == 404 and self.numbered_pages and request.meta.get("page_no", 1) > 1:
            self._walk.setdefault(column, "end")  # ran past the last numbered page
            return
        self._walk[column] = "failed"
        url = (request.meta.get("redirect_urls") or [request.url])[0]  # as the spider asked
        kind = request.meta.get("kind", "list")
        self.note(url, f"{kind} page failed: {self.failure_reason(failure)}")

    def failure_reason(self, failure) -> str:
        """One line for a failed page request: a blocked hop, an HTTP status (a redirect that
        was not followed names where it pointed), or the download error."""
        if failure.check(Blocked):
            return failure.value.describe()
        if failure.check(HttpError):
            response = failure.value.response
            location = response.headers.get("Location")
            if 300 <= response.status < 400 and location:
                target = urljoin(response.url, location.decode("latin-1").strip())
                refused = self.refusal(target)
                if refused:  # RedirectMiddleware leaves other schemes alone: say why
                    self.run.blocked += 1
                    return f"redirected off-site to {target} ({refused}); not followed"
                return f"HTTP {response.status} (redirect to {target} not followed)"
            return f"HTTP {response.status}"
        return describe(failure.value)[0]

    def detail_failed(self, failure):
        request = failure.request
        entry = request.meta.get("entry") or {"url": request.url}
        key = url_key(entry["url"])
        if failure.check(HttpError):
            status = failure.value.response.status
            reason = self.failure_reason(failure)
            self.fail(key, entry, reason, permanent=not transient_status(status))
            return
        if failure.check(Blocked):  # an off-site or disallowed redirect: counted, not followed
            self.fail(key, entry, failure.value.describe(), permanent=True)
            return
        reason, permanent = describe(failure.value)
        if failure.check(IgnoreRequest) and ROBOTS in str(failure.value):
            # robots.txt said no: policy, not a failure
            self.state.give_up(key, entry["url"], reason)
            self.note(entry["url"], reason, fatal=False)
            return
        if failure.check(IgnoreRequest) and "during decompression" in str(failure.value):
            cap = self.crawler.settings.getint("DOWNLOAD_MAXSIZE") // (1024 * 1024)
            reason = f"larger than DOWNLOAD_MAXSIZE ({cap} MB) once decompressed; not stored"
        self.fail(key, entry, reason, permanent)
