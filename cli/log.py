"""Logging set-up for every shopsync process: structlog rendering through the standard library."""

from __future__ import annotations

import logging
import sys

import structlog

from bulk.log_scrub import SecretScrubber

# Added to every event, structlog's and the standard library's alike.
_SHARED: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def route_structlog_through_logging() -> None:
    """Send structlog events to standard-library loggers, so the handlers, their scrubber and
    any capture (pytest's ``caplog``) see them; rendering is the handler's formatter's."""
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure_logging(
    level: str = "INFO", *, environment: str = "development", json: bool = False
) -> None:
    """Route stdlib and structlog records to stderr: JSON lines in production (or with
    ``json``), readable key=value lines otherwise."""
    renderers: list[structlog.types.Processor] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if json or environment == "production"
        else [
            structlog.dev.ConsoleRenderer(
                colors=sys.stderr.isatty(),
                # Never rich's tracebacks (structlog's default once rich is installed, for the
                # CLI's progress bar): they print every frame's local variables, tokens included.
                exception_formatter=structlog.dev.plain_traceback,
            )
        ]
    )
    route_structlog_through_logging()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            # Third-party stdlib records keep their ``extra={...}`` fields.
            foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder()],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderers],
        )
    )
    # On the handler: every record of the process passes it, whichever logger made it.
    handler.addFilter(SecretScrubber())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO; signed result URLs are credentials.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
