"""API Gateway REST (v1), HTTP API (v2), Function URL and ALB events, as AWS sends them:
the shapes the Lambda adapter tests and the packaged-handler tests feed handlers."""

from __future__ import annotations

import base64
from typing import Any


def api_gateway_v1(
    method: str, path: str, headers: dict[str, str], body: str | None
) -> dict[str, Any]:
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "curl/8"},
            "accountId": "123456789012",
            "apiId": "1234567890",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def http_api_v2(
    method: str, path: str, headers: dict[str, str], body: str | None
) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "id.execute-api.us-east-1.amazonaws.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "curl/8",
            },
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": 1583348638390,
        },
        "body": base64.b64encode(body.encode()).decode() if body else None,
        "isBase64Encoded": bool(body),
    }


def function_url(
    method: str, path: str, headers: dict[str, str], body: str | None
) -> dict[str, Any]:
    event = http_api_v2(method, path, headers, body)
    event["requestContext"]["domainName"] = "abc.lambda-url.us-east-1.on.aws"
    return event


def alb(method: str, path: str, headers: dict[str, str], body: str | None) -> dict[str, Any]:
    return {
        "requestContext": {
            "elb": {
                "targetGroupArn": (
                    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda/abc"
                )
            }
        },
        "httpMethod": method,
        "path": path,
        "queryStringParameters": {},
        "headers": {"x-forwarded-for": "203.0.113.9", **{k.lower(): v for k, v in headers.items()}},
        "body": body or "",
        "isBase64Encoded": False,
    }
