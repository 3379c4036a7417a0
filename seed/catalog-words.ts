// The words the seeded catalog is built from: grocery categories, each with its qualifiers,
// items, pack sizes and price band, and the regions a few products are named after. Data only:
// the generator that draws from them is seed/data.ts.
export interface CategoryWords {
  /** The value stored in `products.category` (and used by `?category=`). */
  slug: string
  /** Words in front of the item ("Organic", "Farm Fresh"); '' means none. */
  qualifiers: readonly string[]
  /** Item names, or an item with pack sizes of its own (milk comes in litres, paneer in grams). */
  items: ReadonlyArray<string | ItemWords>
  /** Pack sizes, smallest first: a larger pack gets a higher part of the price band. */
  packs: readonly string[]
  /** Price band in rupees, inside [PRICE_MIN, PRICE_MAX] of seed/data.ts (checked there). */
  price: readonly [number, number]
}

export interface ItemWords {
  name: string
  packs: readonly string[]
}

/**
 * Regions a few products are named after ("Coorg Premium Coffee Beans 250g"): each one is in
 * about 1 name in 3,000, so search has rare words (about 330 products each per million) beside
 * the common ones ("Organic", "Fresh": a tenth of the catalog each).
 */
export const ORIGINS: readonly string[] = ['Ratnagiri', 'Coorg', 'Nashik', 'Wayanad', 'Munnar', 'Kutch', 'Malnad', 'Sikkim', 'Lahaul', 'Bhimtal', 'Araku', 'Chettinad']

export const CATEGORIES: readonly CategoryWords[] = [
  {
    slug: 'vegetables',
    qualifiers: ['', 'Organic', 'Fresh', 'Farm Fresh', 'Local', 'Hydroponic', 'Premium'],
    items: ['Tomatoes', 'Onions', 'Potatoes', 'Carrots', 'Cauliflower', 'Cabbage', 'Spinach', 'Okra', 'Brinjal', 'Green Chillies', 'Capsicum', 'Cucumber', 'Bottle Gourd', 'Bitter Gourd', 'French Beans', 'Green Peas', 'Ginger', 'Garlic',
      { name: 'Coriander Leaves', packs: ['100g', '250g', '500g'] }, { name: 'Methi Leaves', packs: ['100g', '250g', '500g'] }],
    packs: ['250g', '500g', '1kg', '2kg'],
    price: [10, 400]
  },
  {
    slug: 'fruits',
    qualifiers: ['', 'Organic', 'Fresh', 'Farm Fresh', 'Premium', 'Handpicked'],
    items: [{ name: 'Bananas', packs: ['6 pcs', '12 pcs'] }, 'Apples', { name: 'Alphonso Mangoes', packs: ['6 pcs', '12 pcs'] },
      { name: 'Papaya', packs: ['1 pc', '2 pcs'] }, 'Pomegranate', 'Guava', 'Oranges', 'Green Grapes', { name: 'Watermelon', packs: ['1 pc', '2 pcs'] },
      { name: 'Pineapple', packs: ['1 pc', '2 pcs'] }, 'Chikoo', 'Sweet Lime', 'Litchi', 'Custard Apple', { name: 'Kiwi', packs: ['3 pcs', '6 pcs'] }],
    packs: ['500g', '1kg', '2kg'],
    price: [20, 900]
  },
  {
    slug: 'dairy',
    qualifiers: ['', 'Fresh', 'Organic', 'A2', 'Desi', 'Farm Fresh'],
    items: [{ name: 'Toned Milk', packs: ['500ml', '1L'] }, { name: 'Full Cream Milk', packs: ['500ml', '1L'] }, 'Curd', 'Paneer',
      'White Butter', { name: 'Cow Ghee', packs: ['500ml', '1L'] }, { name: 'Buffalo Ghee', packs: ['500ml', '1L'] }, 'Cheese Slices',
      { name: 'Buttermilk', packs: ['200ml', '500ml', '1L'] }, { name: 'Lassi', packs: ['200ml', '500ml', '1L'] },
      { name: 'Fresh Cream', packs: ['200ml', '1L'] }, 'Khoa'],
    packs: ['200g', '500g', '1kg'],
    price: [15, 1200]
  },
  {
    slug: 'bakery',
    qualifiers: ['', 'Fresh', 'Whole Wheat', 'Eggless', 'Homestyle', 'Artisan'],
    items: ['Sandwich Bread', 'Multigrain Bread', { name: 'Pav', packs: ['6 pcs', '12 pcs'] }, 'Rusk', 'Brown Bread',
      { name: 'Croissants', packs: ['2 pcs', '4 pcs', '6 pcs'] }, { name: 'Muffins', packs: ['2 pcs', '4 pcs', '6 pcs'] }, 'Butter Cookies',
      'Fruit Cake', { name: 'Burger Buns', packs: ['4 pcs', '6 pcs'] }, 'Khari', 'Garlic Bread'],
    packs: ['200g', '400g', '800g'],
    price: [20, 600]
  },
  {
    slug: 'spices',
    qualifiers: ['', 'Organic', 'Stone Ground', 'Premium', 'Whole', 'Kerala'],
    items: ['Turmeric Powder', 'Red Chilli Powder', 'Coriander Powder', 'Cumin Seeds', 'Garam Masala', 'Black Pepper', 'Green Cardamom', 'Cloves', 'Cinnamon', 'Mustard Seeds', 'Fenugreek Seeds', 'Asafoetida', 'Kasuri Methi', 'Ajwain'],
    packs: ['50g', '100g', '200g', '500g'],
    price: [10, 2500]
  },
  {
    slug: 'grains',
    qualifiers: ['', 'Organic', 'Premium', 'Unpolished', 'Stone Ground', 'Everyday'],
    items: ['Basmati Rice', 'Sona Masoori Rice', 'Brown Rice', 'Whole Wheat Atta', 'Multigrain Atta', 'Ragi Flour', 'Jowar Flour', 'Bajra', 'Poha', 'Rava', 'Maida', 'Besan', 'Quinoa', 'Foxtail Millet'],
    packs: ['500g', '1kg', '5kg', '10kg'],
    price: [30, 1500]
  },
  {
    slug: 'pulses',
    qualifiers: ['', 'Organic', 'Unpolished', 'Premium', 'Desi'],
    items: ['Toor Dal', 'Moong Dal', 'Chana Dal', 'Urad Dal', 'Masoor Dal', 'Rajma', 'Kabuli Chana', 'Kala Chana', 'Green Moong', 'Lobia', 'Matki'],
    packs: ['500g', '1kg', '2kg', '5kg'],
    price: [40, 900]
  },
  {
    slug: 'oils',
    qualifiers: ['', 'Cold Pressed', 'Wood Pressed', 'Organic', 'Refined', 'Virgin'],
    items: ['Mustard Oil', 'Groundnut Oil', 'Sunflower Oil', 'Coconut Oil', 'Sesame Oil', 'Rice Bran Oil', 'Olive Oil', 'Safflower Oil'],
    packs: ['500ml', '1L', '2L', '5L'],
    price: [80, 3000]
  },
  {
    slug: 'beverages',
    qualifiers: ['', 'Chilled', 'No Added Sugar', 'Natural', 'Fresh'],
    items: ['Mango Juice', 'Tender Coconut Water', 'Lemonade', 'Sugarcane Juice', 'Soda', 'Kokum Sherbet', 'Rose Sharbat', 'Jaljeera', 'Orange Juice', 'Aam Panna'],
    packs: ['200ml', '500ml', '1L', '6 x 200ml'],
    price: [15, 600]
  },
  {
    slug: 'snacks',
    qualifiers: ['', 'Classic', 'Spicy', 'Baked', 'Homemade', 'Roasted'],
    items: ['Banana Chips', 'Aloo Bhujia', 'Navratan Mixture', 'Masala Peanuts', 'Methi Khakhra', 'Chakli', 'Mathri', 'Makhana', 'Potato Chips', 'Chana Jor', 'Murukku', 'Moong Namkeen'],
    packs: ['100g', '200g', '400g', '1kg'],
    price: [10, 500]
  },
  {
    slug: 'dry-fruits',
    qualifiers: ['', 'Premium', 'Organic', 'Roasted', 'Jumbo', 'Salted'],
    items: ['Almonds', 'Cashews', 'Raisins', 'Walnuts', 'Pistachios', 'Medjool Dates', 'Dried Figs', 'Apricots', 'Mixed Dry Fruits'],
    packs: ['100g', '250g', '500g', '1kg'],
    price: [80, 5000]
  },
  {
    slug: 'eggs',
    qualifiers: ['', 'Farm Fresh', 'Free Range', 'Organic', 'Protein Rich'],
    items: ['White Eggs', 'Brown Eggs', 'Country Eggs', 'Omega-3 Eggs', 'Duck Eggs', 'Quail Eggs'],
    packs: ['6 pcs', '12 pcs', '30 pcs'],
    price: [40, 500]
  },
  {
    slug: 'meat',
    qualifiers: ['', 'Fresh', 'Tender', 'Antibiotic Free', 'Halal'],
    items: ['Chicken Curry Cut', 'Chicken Breast', 'Chicken Drumsticks', 'Mutton Curry Cut', 'Mutton Keema', 'Chicken Keema', 'Chicken Sausages', 'Lamb Chops'],
    packs: ['250g', '500g', '1kg'],
    price: [120, 2500]
  },
  {
    slug: 'seafood',
    qualifiers: ['', 'Fresh', 'Cleaned', 'Coastal', 'Premium'],
    items: ['Rohu', 'Pomfret', 'Tiger Prawns', 'Surmai', 'Bangda', 'Hilsa', 'Catla', 'Squid Rings', 'Mud Crab', 'Basa Fillet'],
    packs: ['250g', '500g', '1kg'],
    price: [100, 3000]
  },
  {
    slug: 'frozen',
    qualifiers: ['', 'Frozen', 'Ready to Cook', 'Crispy', 'Homestyle'],
    items: ['Green Peas', 'Sweet Corn', 'Mixed Vegetables', 'Aloo Tikki', 'Veg Momos', 'Malabar Paratha', 'French Fries', 'Chicken Nuggets',
      { name: 'Kulfi', packs: ['4 pcs', '8 pcs'] }, { name: 'Vanilla Ice Cream', packs: ['500ml', '1L'] }],
    packs: ['200g', '400g', '1kg'],
    price: [40, 800]
  },
  {
    slug: 'sweets',
    qualifiers: ['', 'Fresh', 'Pure Ghee', 'Sugar Free', 'Festive', 'Traditional'],
    items: ['Gulab Jamun', 'Rasgulla', 'Kaju Katli', 'Soan Papdi', 'Besan Ladoo', 'Mathura Peda', 'Jalebi', 'Mysore Pak', 'Milk Barfi', 'Peanut Chikki'],
    packs: ['250g', '500g', '1kg'],
    price: [60, 1500]
  },
  {
    slug: 'condiments',
    qualifiers: ['', 'Homemade', 'Organic', 'Tangy', 'Traditional'],
    items: ['Mango Pickle', 'Lime Pickle', 'Mixed Pickle', 'Garlic Pickle', 'Green Chilli Pickle', 'Tomato Ketchup', 'Mint Chutney', 'Tamarind Chutney', 'Wild Honey', 'Jaggery', 'Rock Salt', 'Sugar'],
    packs: ['100g', '250g', '500g', '1kg'],
    price: [5, 700]
  },
  {
    slug: 'tea-coffee',
    qualifiers: ['', 'Organic', 'Premium', 'Estate', 'Strong'],
    items: ['Assam Tea', 'Darjeeling Tea', 'Masala Chai', 'Green Tea', 'Nilgiri Tea', 'Filter Coffee', 'Instant Coffee', 'Coffee Beans', 'Tulsi Tea', 'Chicory Blend'],
    packs: ['100g', '250g', '500g', '1kg'],
    price: [40, 2500]
  },
  {
    slug: 'breakfast',
    qualifiers: ['', 'Crunchy', 'Whole Grain', 'Instant', 'High Protein', 'Organic'],
    items: ['Cornflakes', 'Fruit Muesli', 'Rolled Oats', 'Honey Granola', 'Upma Mix', 'Idli Mix', 'Dosa Batter', 'Peanut Butter', 'Mixed Fruit Jam', 'Wheat Flakes'],
    packs: ['200g', '500g', '1kg'],
    price: [40, 900]
  },
  {
    slug: 'household',
    qualifiers: ['', 'Eco', 'Lemon', 'Herbal', 'Value Pack'],
    items: ['Dishwash Liquid', { name: 'Detergent Powder', packs: ['1kg', '2kg', '4kg'] }, 'Floor Cleaner',
      { name: 'Garbage Bags', packs: ['30 pcs', '60 pcs'] }, { name: 'Kitchen Towels', packs: ['2 rolls', '4 rolls'] }, 'Toilet Cleaner',
      { name: 'Agarbatti', packs: ['100 sticks', '200 sticks'] }, { name: 'Camphor', packs: ['50g', '100g'] },
      { name: 'Scrub Pads', packs: ['3 pcs', '6 pcs'] }, { name: 'Matchboxes', packs: ['10 pcs', '50 pcs'] }],
    packs: ['500ml', '1L', '2L'],
    price: [5, 900]
  }
]

export const CATEGORY_SLUGS: readonly string[] = CATEGORIES.map((c) => c.slug)
