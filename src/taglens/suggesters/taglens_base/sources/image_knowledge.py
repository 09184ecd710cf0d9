"""``image_tags``: what people tag a photo of each ImageNet class with (:mod:`taglens.knowledge.image_tags`), read
from the image encoder's class probabilities. Open world: its tags need not be in the model's vocabulary (#raccoon,
#eiffeltower). Each tag's score is already the classifier's confidence (noisy-or of probability x strength), so
the source's weight follows it; ``conse`` still covers tags outside the map. Its gain follows how unlike the
training photos the photo is (``familiarity``): the map speaks up where the trained sources do not know.

On a photo alone where the classifier reads no class at ``DIFFUSE`` or more (nothing it knows: a grass or gravel
texture, a sky, a drawing), or reads first a fallback class under its floor (``ImageTagMap.reads_no_class``: a
handwritten page as a maze at 37%, whose sundial at 13% made #sundial #time its first tags), the map's categories
add up from many small readings of unrelated classes (a grass texture's soccer ball 5%, baseball 4%, croquet and
golf ball 2% made #sports #ball), so only a tag whose noisy-or reaches ``DIFFUSE_SCORE`` is read there: a category
many classes agree on well (ten dog breeds at 5% each give #dog 0.4) still is.

On a photo alone a class's own name is read only from a class the classifier gives ``NAME_FROM`` or more
(``ImageTagMap.suggest``'s ``name_from``): under it the classifier is choosing among look-alikes, and the top 5 of
photos with little else to say filled with the wrong one's name (#daisy for tulips, dandelions and roses read as a
daisy at 2-6%, #pencileraser #rubbereraser for handwriting read as a rubber eraser at 5%); their kinds (#flower)
still add up from such readings. A caption or a tag says what the photo is about, and the map's weak names may be
what it names."""
from __future__ import annotations

from ..source import Source, no_caption_or_tags

MAX_TAGS = 30
# offline (val, re-fused evidence): at 0.06 / 0.2 no figure of instagram6 or the everyday photos moves (1 and 3 top
# 5s change below their first tag); a bar of 0.1 or 0.15 on the top class cost the everyday photos 1-2 first fits,
# a score floor of 0.1-0.3 on every photo 1-2
DIFFUSE = 0.06
DIFFUSE_SCORE = 0.2
# offline (val, re-fused evidence): at 0.1 no first tag of instagram6 moves (2 top 5s change, no hit lost), the
# everyday photos' fitting tags in the top 5 +0.008; 0.2 +0.010 (3 instagram6 top 5s change); the same rule for the
# class-rate table's names too (#daisy learned from the everyday flowers) gained less (a daisy read at 7% is one)
NAME_FROM = 0.1


class ImageKnowledge(Source):
    name = "image_tags"
    # measured on the val side (bench notes in docs/EVERYDAY.md): the everyday photos' P@1 rises with the weight
    # (0.008 at 0, 0.22 at 1.5) while instagram6's, whose gold is its six topics (#animals, not #goldenretriever),
    # falls (0.6715, 0.6657 at 0.1, 0.6599 at 0.15, 0.6541 at 0.3, 0.456 at 1.5): 0.1 keeps it within 0.01; the
    # gain (familiarity.OPEN) then halves it on familiar photos and raises it to 1.0 on novel ones
    weight = 0.1
    weight_with_caption = 0.3

    def evidence(self, post, features):
        if features.images is None:
            return {}
        from ....encoders.image import softmax
        from ....knowledge.image_tags import get_image_tag_map, image_tags

        probs = softmax(features.images["logits"].astype("float64")).mean(0)
        alone = no_caption_or_tags(features)
        read = {"min_score": DIFFUSE_SCORE} if alone and get_image_tag_map().reads_no_class(probs, DIFFUSE) else {}
        if alone:
            read["name_from"] = NAME_FROM
        return {tag: (score, reason) for tag, score, reason in image_tags(probs, k=MAX_TAGS, **read)}

    def gain(self, post, features):
        return self.model.source("image").image_gain(self.name, features)
