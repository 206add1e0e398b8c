Feature: Baseline for bench/suite_time.py
  A scenario that only starts (a Twilio account, the channel config, the
  gateway) and stops: the harness's own overhead per scenario.

  Scenario Outline: Start and stop, run <n>
    Given a Twilio account with an SMS number
    And the SMS channel is configured as in the guide with dmPolicy "pairing"
    And the gateway is running

    Examples:
      | n  |
      | 1  |
      | 2  |
      | 3  |
      | 4  |
      | 5  |
      | 6  |
      | 7  |
      | 8  |
      | 9  |
      | 10 |
