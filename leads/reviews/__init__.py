"""Lead reviews: lead-quality feedback, review sessions (picked leads, outcomes, minutes, attendance) and their action items, the feedback analysis.

One name for the area everywhere: the package, the URL prefix `/reviews/` and the URL namespace `reviews`.
"""
