"""Everyday knowledge for evidence sources (issue 20): what ImageNet classes are tagged as (:mod:`.image_tags`), a
broad hashtag vocabulary and the caption words people tag (:mod:`.vocabulary`), tags that read as hashtags and
engagement bait (:mod:`.junk`), one form per meaning (:mod:`.forms`). See docs/EVERYDAY.md."""
