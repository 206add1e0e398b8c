@env
Feature: Configuration from the environment and SecretRef tokens
  For a single account the environment may carry the credentials and sender;
  the config then needs only {enabled: true, dmPolicy: "pairing"}.
  TWILIO_SMS_FROM is an alias of TWILIO_PHONE_NUMBER. authToken may be a
  SecretRef resolved in the gateway's runtime.
  Specification: docs/specification.md#environment-and-secretref

  Background:
    Given a Twilio account with an SMS number

  @guide
  Scenario: Only {enabled, dmPolicy} in the config, everything else from the environment
    Given the SMS channel config is only enabled with dmPolicy "pairing"
    And the environment has the account's TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and SMS_PUBLIC_WEBHOOK_URL
    And the environment has TWILIO_PHONE_NUMBER "<number>"
    And the gateway is running
    When phone "A" texts "hello"
    Then phone "A" gets a pairing reply with an 8-character code
    And the Messages.json request used From "<number>" and no MessagingServiceSid

  @guide
  Scenario: TWILIO_SMS_FROM is accepted as the sender
    Given the SMS channel config is only enabled with dmPolicy "pairing"
    And the environment has the account's TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and SMS_PUBLIC_WEBHOOK_URL
    And the environment has TWILIO_SMS_FROM "<number>"
    And the gateway is running
    When phone "A" texts "hello"
    Then phone "A" gets a pairing reply with an 8-character code
    And the Messages.json request used From "<number>" and no MessagingServiceSid

  @guide
  Scenario: TWILIO_MESSAGING_SERVICE_SID picks a Messaging Service sender
    Given a Messaging Service "pool" whose sender pool holds the number
    And the SMS channel config is only enabled with dmPolicy "pairing"
    And the environment has the account's TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and SMS_PUBLIC_WEBHOOK_URL
    And the environment has TWILIO_MESSAGING_SERVICE_SID "<service pool>"
    And the gateway is running
    When phone "A" texts "hello"
    Then phone "A" gets a pairing reply with an 8-character code
    And the Messages.json request used MessagingServiceSid "<service pool>" and no From

  @guide
  Scenario: authToken as a SecretRef resolved from the runtime environment
    Given the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]
    And the channel's authToken is the SecretRef {"source": "env", "provider": "default", "id": "SMS_TEST_TOKEN"}
    And the environment has SMS_TEST_TOKEN set to the account's auth token
    And the gateway is running
    When phone "A" texts "reply exactly secret resolved"
    Then the webhook answers 200 with an empty TwiML response
    And phone "A" gets the reply "secret resolved"

  @observed
  Scenario: A SecretRef whose variable is missing keeps the account from starting, and says so
    Given the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]
    And the channel's authToken is the SecretRef {"source": "env", "provider": "default", "id": "SMS_MISSING_TOKEN"}
    And the gateway is running
    Then the gateway reports an error naming "authToken" and "not found"
    When phone "A" texts "reply exactly should fail"
    Then Twilio logs error 11200 on the inbound message
    And the webhook answers 404 with body "Not Found"
    And phone "A" gets no reply

  @observed
  Scenario: Extra environment keys: allowed users, chunk limit, webhook path
    Given a Twilio account "env" with an SMS number on path "/hooks/env-sms"
    And the SMS channel config is only enabled with dmPolicy "allowlist"
    And the environment has the account's TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and SMS_PUBLIC_WEBHOOK_URL for "env"
    And the environment has TWILIO_PHONE_NUMBER "<number env>"
    And the environment has SMS_WEBHOOK_PATH "/hooks/env-sms"
    And the environment has SMS_ALLOWED_USERS "<phone B>,<phone A>"
    And the environment has SMS_TEXT_CHUNK_LIMIT "300"
    And the gateway is running
    When phone "A" texts account "env" "please write a long markdown answer"
    Then phone "A" gets the long answer in messages of at most 300 characters

  @observed
  Scenario: SMS_DANGEROUSLY_DISABLE_SIGNATURE_VALIDATION=true turns validation off
    Given the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]
    And the environment has SMS_DANGEROUSLY_DISABLE_SIGNATURE_VALIDATION "true"
    And the channel does not set dangerouslyDisableSignatureValidation
    And the gateway is running
    When an unsigned inbound form from phone "A" saying "reply exactly env unsigned" is posted to the webhook
    Then the gateway answers 200
