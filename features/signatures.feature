@signature
Feature: Webhook signatures
  X-Twilio-Signature is verified with publicWebhookUrl and authToken; the URL
  must match what Twilio signs byte for byte (scheme, host, path, query).
  Anything else gets 403 "Invalid signature", which Twilio logs as 11200.
  Specification: docs/specification.md#signatures

  Background:
    Given a Twilio account with an SMS number
    And the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]

  @guide
  Scenario: A correctly signed inbound SMS is accepted
    Given the gateway is running
    When phone "A" texts "reply exactly signed ok"
    Then the webhook answers 200 with an empty TwiML response
    And phone "A" gets the reply "signed ok"

  @guide
  Scenario Outline: A signature that does not match is refused with 403
    Given the gateway is running
    And the next webhook's signature is tampered with: <tampering>
    When phone "A" texts "reply exactly tampered"
    Then the webhook answers 403 with body "Invalid signature"
    And Twilio logs error 11200 on the inbound message
    And phone "A" gets no reply

    Examples:
      | tampering      |
      | wrong_token    |
      | port_added     |
      | port_stripped  |
      | other_scheme   |
      | other_host     |
      | param_changed  |
      | header_missing |

  @observed
  Scenario: A webhook signed with a shared key is refused: only the auth token's HMAC-SHA1 is checked
    Given the Twilio number signs its webhooks with a shared key using HMAC_SHA256
    And the gateway is running
    When phone "A" texts "reply exactly shared key"
    Then the webhook was signed with the shared key using HMAC_SHA256
    And the webhook answers 403 with body "Invalid signature"
    And Twilio logs error 11200 on the inbound message
    And phone "A" gets no reply
    And no agent turn has run

  @guide
  Scenario: Dropping the query from the signed URL breaks the signature
    Given the Twilio number's webhook is "<public url>?tenant=blue" with method POST
    And the channel's publicWebhookUrl is "<public url>?tenant=blue"
    And the gateway is running
    And the next webhook's signature is tampered with: query_dropped
    When phone "A" texts "reply exactly no query"
    Then the webhook answers 403 with body "Invalid signature"

  @guide
  Scenario: A proxy that rewrites the host breaks the signature
    Given the channel's publicWebhookUrl is "https://proxy.internal.example/webhooks/sms"
    And the gateway is running
    When phone "A" texts "reply exactly via proxy"
    Then the webhook answers 403 with body "Invalid signature"

  @guide
  Scenario: A query string configured on the number is part of the signature
    Given the Twilio number's webhook is "<public url>?tenant=blue" with method POST
    And the channel's publicWebhookUrl is "<public url>?tenant=blue"
    And the gateway is running
    When phone "A" texts "reply exactly query ok"
    Then the webhook answers 200 with an empty TwiML response
    And phone "A" gets the reply "query ok"

  @observed
  Scenario: Without a query in publicWebhookUrl, the request's own query is signed
    Given the Twilio number's webhook is "<public url>?tenant=blue" with method POST
    And the gateway is running
    When phone "A" texts "reply exactly appended"
    Then the webhook answers 200 with an empty TwiML response
    And phone "A" gets the reply "appended"

  @guide
  Scenario: publicWebhookUrl that differs from the number's webhook by its query is refused
    Given the Twilio number's webhook is "<public url>?tenant=blue" with method POST
    And the channel's publicWebhookUrl is "<public url>?tenant=red"
    And the gateway is running
    When phone "A" texts "reply exactly mismatch"
    Then the webhook answers 403 with body "Invalid signature"

  @guide
  Scenario: Signed with the auth token of another account is refused
    Given a second Twilio account "other"
    And the gateway is running
    When an inbound form from phone "A" signed with the auth token of "other" is posted to the webhook
    Then the gateway answers 403 with body "Invalid signature"

  @guide
  Scenario: dangerouslyDisableSignatureValidation accepts unsigned requests, with a warning
    Given the channel's dangerouslyDisableSignatureValidation is true
    And the gateway is running
    When an unsigned inbound form from phone "A" saying "reply exactly unsigned" is posted to the webhook
    Then the gateway answers 200
    And phone "A" gets the reply "unsigned"
    And the gateway warns about "signature validation is disabled"

  @observed
  Scenario: With signature validation off, Twilio's status callbacks are still accepted
    Given the channel's dangerouslyDisableSignatureValidation is true
    And the gateway is running
    When phone "A" texts "reply exactly callbacks still count"
    Then phone "A" gets the reply "callbacks still count"
    When a signed status callback "delivered" for the reply to phone "A" is posted to the webhook
    Then the gateway answers 200 with body "<Response></Response>"
    And the answer carries the header "x-openclaw-delivery-accepted: durable"

  @observed
  Scenario Outline: The signed URL is publicWebhookUrl as written, cut at "#", with the request's query only when it has no "?"
    Given the Twilio number's webhook is "<number webhook>" with method POST
    And the channel's publicWebhookUrl is "<publicWebhookUrl>"
    And the gateway is running
    When phone "A" texts "reply exactly <id>"
    Then the webhook answers <status> with body "<body>"

    Examples:
      | id | number webhook | publicWebhookUrl | status | body |
      | fragment is not signed | <public url> | <public url>#rt=2000&rc=2 | 200 | <Response></Response> |
      | host case is kept | <public url> | https://GATEWAY.example.test/webhooks/sms | 403 | Invalid signature |
      | a bare "?" stops the query being added | <public url>?tenant=blue | <public url>? | 403 | Invalid signature |
      | its own query is used as is | <public url>?tenant=blue | <public url>?tenant=blue | 200 | <Response></Response> |
      | an apostrophe in the query is re-encoded | <public url>?name=o'neil | <public url> | 403 | Invalid signature |

  @observed @webhook_url_required
  Scenario: Without publicWebhookUrl and with validation on, the gateway refuses to start
    Given the channel does not set publicWebhookUrl
    Then the gateway refuses to start, saying "SMS_WEBHOOK_URL is required"
